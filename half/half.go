// Package half converts between float32 and the two 16-bit floating-point
// formats Silica stores: IEEE 754 binary16 ("float16", "half") and bfloat16
// (the top 16 bits of a float32).
//
// # Rounding
//
// Conversions to 16 bits round to nearest, ties to even, as the GPUs'
// conversion instructions do (CUDA __float2half_rn, Metal's half(x)).
// Values beyond the largest finite half (65504) become ±Inf; NaN stays NaN
// (a quiet NaN with the sign kept). Conversions to float32 are exact.
//
// # Storage
//
// Halves are carried as uint16 bit patterns; byte slices are little-endian,
// the layout of the .npy '<f2' format and of every supported device.
package half

import (
	"encoding/binary"
	"math"
)

// Float16 is an IEEE 754 binary16 value as its bit pattern.
type Float16 uint16

// BFloat16 is a bfloat16 value as its bit pattern.
type BFloat16 uint16

// FromFloat32 rounds f to the nearest float16 (ties to even).
func FromFloat32(f float32) Float16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if man != 0 {
			return Float16(sign | 0x7e00 | uint16(man>>13))
		}
		return Float16(sign | 0x7c00)
	}
	e := exp - 127 + 15
	if e >= 0x1f { // overflow
		return Float16(sign | 0x7c00)
	}
	if e <= 0 { // subnormal half or zero
		if e < -10 {
			return Float16(sign)
		}
		man |= 0x800000 // implicit leading one
		shift := uint32(14 - e)
		h := man >> shift
		rem := man & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return Float16(sign | uint16(h))
	}
	h := uint32(e)<<10 | man>>13
	rem := man & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, and to Inf: both correct
	}
	return Float16(sign | uint16(h))
}

// Float32 returns h exactly as a float32.
func (h Float16) Float32() float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch exp {
	case 0:
		if man == 0 {
			return math.Float32frombits(sign)
		}
		// subnormal: value = man * 2^-24
		f := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// BFromFloat32 rounds f to the nearest bfloat16 (ties to even).
func BFromFloat32(f float32) BFloat16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it quiet, keep the sign
		return BFloat16(b>>16 | 0x40)
	}
	b += 0x7fff + (b>>16)&1
	return BFloat16(b >> 16)
}

// Float32 returns b exactly as a float32.
func (b BFloat16) Float32() float32 { return math.Float32frombits(uint32(b) << 16) }

// Round16 returns f rounded to float16 and back: the value a float16
// buffer holds after storing f.
func Round16(f float32) float32 { return FromFloat32(f).Float32() }

// RoundB16 returns f rounded to bfloat16 and back.
func RoundB16(f float32) float32 { return BFromFloat32(f).Float32() }

// EncodeFloat16 writes src as little-endian float16 into dst, which must
// hold 2*len(src) bytes, rounding as FromFloat32 does. On amd64 it uses
// F16C's conversion instruction when the processor has it (about 8 GB/s
// of input on one core); elsewhere a loop with a short path for float16's
// normal range.
func EncodeFloat16(dst []byte, src []float32) {
	if len(src) == 0 {
		return
	}
	encode16(dst[:2*len(src)], src)
}

// encode16Go is the portable EncodeFloat16: values in float16's normal
// range take a short path, the rest (subnormal, zero, overflow, Inf, NaN)
// go through FromFloat32.
func encode16Go(dst []byte, src []float32) {
	if len(src) == 0 {
		return
	}
	_ = dst[2*len(src)-1]
	for i, f := range src {
		b := math.Float32bits(f)
		exp := b >> 23 & 0xff
		var h uint32
		if exp-113 < 30 { // 113 <= exp <= 142: a normal float16
			h = b>>16&0x8000 | (exp-112)<<10 | b>>13&0x3ff
			rem := b & 0x1fff
			if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
				h++ // a carry into the exponent is right, up to Inf
			}
		} else {
			h = uint32(FromFloat32(f))
		}
		binary.LittleEndian.PutUint16(dst[2*i:], uint16(h))
	}
}

// DecodeFloat16 reads len(dst) little-endian float16 values from src.
func DecodeFloat16(dst []float32, src []byte) {
	if len(dst) == 0 {
		return
	}
	_ = src[2*len(dst)-1]
	for i := range dst {
		dst[i] = Float16(binary.LittleEndian.Uint16(src[2*i:])).Float32()
	}
}

// EncodeBFloat16 writes src as little-endian bfloat16 into dst, which must
// hold 2*len(src) bytes.
func EncodeBFloat16(dst []byte, src []float32) {
	if len(src) == 0 {
		return
	}
	_ = dst[2*len(src)-1]
	for i, f := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], uint16(BFromFloat32(f)))
	}
}

// DecodeBFloat16 reads len(dst) little-endian bfloat16 values from src.
func DecodeBFloat16(dst []float32, src []byte) {
	if len(dst) == 0 {
		return
	}
	_ = src[2*len(dst)-1]
	for i := range dst {
		dst[i] = BFloat16(binary.LittleEndian.Uint16(src[2*i:])).Float32()
	}
}
