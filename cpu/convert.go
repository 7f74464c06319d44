package cpu

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/half"
)

func init() {
	kernels[engine.OpCast] = castKernel
	kernels[engine.OpQuantize] = quantizeKernel
	kernels[engine.OpDequantize] = dequantizeKernel
}

// f32 views b as float32s (buffers are 8-byte aligned, or host memory the
// caller wrapped).
func f32(b []byte) []float32 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// load returns elements [off, off+n) of a float buffer of dtype dt as
// float32: a view for Float32, else converted into scratch (len >= n).
func load(dt engine.DType, b []byte, off, n int, scratch []float32) []float32 {
	switch dt {
	case engine.Float32:
		return f32(b)[off : off+n]
	case engine.Float16:
		decodeF16(scratch[:n], b[2*off:2*(off+n)])
	case engine.BFloat16:
		decodeBF16(scratch[:n], b[2*off:2*(off+n)])
	case engine.Int8:
		decodeI8(scratch[:n], b[off:off+n])
	}
	return scratch[:n]
}

// store writes src as elements [off, off+len(src)) of a float buffer.
func store(dt engine.DType, b []byte, off int, src []float32) {
	switch dt {
	case engine.Float32:
		copy(f32(b)[off:], src)
	case engine.Float16:
		encodeF16(b[2*off:], src)
	case engine.BFloat16:
		if len(src) > 0 {
			half.EncodeBFloat16(b[2*off:], src)
		}
	}
}

// decodeI8Go converts int8 values to float32 (exactly).
func decodeI8Go(dst []float32, src []byte) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = float32(int8(v))
	}
}

// The conversion kernels in use: portable Go, or assembly where the
// machine has it (dot_amd64.go). Each converts len(dst) (decode) or
// len(src) (encode) elements, rounding as package half does.
// setSIMD (dot.go) assigns them.
var decodeF16, decodeBF16, decodeI8 = decodeF16Go, decodeBF16Go, decodeI8Go

// encodeF16 converts to float16 (with F16C where the processor has it).
var encodeF16 = half.EncodeFloat16

// decodeF16Go is the portable float16 decoder: exact, as
// half.Float16.Float32, but with the exponent rebiased by one add and
// branches only for the rare subnormals, infinities and NaN (F. Giesen,
// "half_to_float_fast", 2012), several times faster than half's switch.
func decodeF16Go(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	const magic = 113 << 23 // 2^-14 as a float32's bits
	for i := range dst {
		h := uint32(src[2*i]) | uint32(src[2*i+1])<<8
		o := (h & 0x7fff) << 13
		switch o & 0x0f800000 {
		case 0x0f800000: // Inf or NaN: exponent all ones
			o += (255 - 31) << 23
		case 0: // zero or subnormal: scale by 2^-14 exactly
			o = math.Float32bits(math.Float32frombits(o+magic) - math.Float32frombits(magic))
		default:
			o += (127 - 15) << 23
		}
		dst[i] = math.Float32frombits(o | (h&0x8000)<<16)
	}
}

// The portable half conversions below wrap package half's. Its functions
// index src[2*len(dst)-1] first, which panics for an empty slice; these
// return instead (the workaround is reported to half's owner).

func decodeBF16Go(dst []float32, src []byte) {
	if len(dst) > 0 {
		half.DecodeBFloat16(dst, src)
	}
}

// castKernel converts element by element; between float dtypes it goes
// through float32 a chunk at a time with the conversion kernels (float32
// holds every float16 and bfloat16 exactly, so the result is the same).
func castKernel(c *Backend, s *engine.Step, in, out []arg) error {
	src, dst := in[0], out[0]
	n := src.Shape.Size()
	if src.DType.IsFloat() && dst.DType.IsFloat() {
		c.parallelFor(n, 1<<14, func(lo, hi int) {
			scratch := make([]float32, min(hi-lo, reduceChunk))
			for i := lo; i < hi; i += reduceChunk {
				m := min(reduceChunk, hi-i)
				store(dst.DType, dst.b, i, load(src.DType, src.b, i, m, scratch))
			}
		})
		return nil
	}
	c.parallelFor(n, 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			putElem(dst.DType, dst.b, i, getElem(src.DType, src.b, i))
		}
	})
	return nil
}

// elem is one element in transit between dtypes: a float or an integer.
type elem struct {
	f     float64
	i     int64
	isInt bool
}

func getElem(dt engine.DType, b []byte, i int) elem {
	switch dt {
	case engine.Float32:
		return elem{f: float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))}
	case engine.Float16:
		return elem{f: float64(half.Float16(binary.LittleEndian.Uint16(b[2*i:])).Float32())}
	case engine.BFloat16:
		return elem{f: float64(half.BFloat16(binary.LittleEndian.Uint16(b[2*i:])).Float32())}
	case engine.Int8:
		return elem{i: int64(int8(b[i])), isInt: true}
	case engine.Int32:
		return elem{i: int64(int32(binary.LittleEndian.Uint32(b[4*i:]))), isInt: true}
	default:
		return elem{i: int64(binary.LittleEndian.Uint64(b[8*i:])), isInt: true}
	}
}

// toInt truncates toward zero and saturates; NaN becomes 0.
func toInt(e elem, lo, hi int64) int64 {
	if e.isInt {
		return max(lo, min(hi, e.i))
	}
	switch {
	case e.f != e.f:
		return 0
	case e.f <= float64(lo):
		return lo
	case e.f >= float64(hi):
		return hi
	}
	return int64(e.f)
}

func putElem(dt engine.DType, b []byte, i int, e elem) {
	f := e.f
	if e.isInt {
		f = float64(e.i)
	}
	switch dt {
	case engine.Float32:
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(f)))
	case engine.Float16:
		binary.LittleEndian.PutUint16(b[2*i:], uint16(half.FromFloat32(float32(f))))
	case engine.BFloat16:
		binary.LittleEndian.PutUint16(b[2*i:], uint16(half.BFromFloat32(float32(f))))
	case engine.Int8:
		b[i] = byte(int8(toInt(e, math.MinInt8, math.MaxInt8)))
	case engine.Int32:
		binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(toInt(e, math.MinInt32, math.MaxInt32))))
	case engine.Int64:
		binary.LittleEndian.PutUint64(b[8*i:], uint64(toInt(e, math.MinInt64, math.MaxInt64)))
	}
}

// QuantizeRow quantizes one row: scale = max|x|/127 (1 for a zero row),
// q = round(x/scale) with ties away from zero, clamped to ±127. It is the
// definition every backend's quantize kernel follows.
func QuantizeRow(x []float32, q []int8) (scale float32) {
	var m float32
	for _, v := range x {
		m = max(m, float32(math.Abs(float64(v))))
	}
	scale = m / 127
	if scale == 0 {
		scale = 1
	}
	for i, v := range x {
		r := math.Round(float64(v / scale))
		q[i] = int8(max(-127, min(127, r)))
	}
	return scale
}

func quantizeKernel(c *Backend, s *engine.Step, in, out []arg) error {
	x := in[0]
	rows, d := x.Shape[0], x.Shape[1]
	scales := f32(out[1].b)
	c.parallelFor(rows, 64, func(lo, hi int) {
		scratch := make([]float32, d)
		for r := lo; r < hi; r++ {
			row := load(x.DType, x.b, r*d, d, scratch)
			q := unsafe.Slice((*int8)(unsafe.Pointer(&out[0].b[r*d])), d)
			scales[r] = QuantizeRow(row, q)
		}
	})
	return nil
}

func dequantizeKernel(c *Backend, s *engine.Step, in, out []arg) error {
	rows, d := in[0].Shape[0], in[0].Shape[1]
	scales, y := f32(in[1].b), f32(out[0].b)
	c.parallelFor(rows, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			for j := range d {
				y[r*d+j] = float32(int8(in[0].b[r*d+j])) * scales[r]
			}
		}
	})
	return nil
}
