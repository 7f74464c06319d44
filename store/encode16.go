package store

import (
	"encoding/binary"
	"math"

	"github.com/silica-go/silica/half"
)

// encodeFloat16 writes src as little-endian float16 into dst (2*len(src)
// bytes), rounding to nearest even as half.FromFloat32 does: values in
// float16's normal range take a short path, the rest (subnormal, zero,
// overflow, Inf, NaN) go through half.FromFloat32.
func encodeFloat16(dst []byte, src []float32) {
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
			h = uint32(half.FromFloat32(f))
		}
		binary.LittleEndian.PutUint16(dst[2*i:], uint16(h))
	}
}
