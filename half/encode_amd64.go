package half

import "github.com/silica-go/silica/internal/cpufeat"

// f32ToF16F16C converts len(src) values; dst must hold 2*len(src) bytes.
//
//go:noescape
func f32ToF16F16C(dst []byte, src []float32)

// encode16 is EncodeFloat16's loop: F16C's conversion where the processor
// has it (and SILICA_CPU_SIMD is not off), else the portable one.
var encode16 = func() func([]byte, []float32) {
	if cpufeat.X86.F16C {
		return f32ToF16F16C
	}
	return encode16Go
}()
