package cpu

// Vector exp and erf (expf_amd64.s), installed by useSIMD behind
// closures that check the lengths and finish the last len(d)%4 lanes
// with expF32 and erfF32.

//go:noescape
func expAVX2(d, a []float32)

//go:noescape
func erfAVX2(d, a []float32)

// expAVX512 and erfAVX512 are expAVX2 and erfAVX2 eight lanes at a time
// (expf512_amd64.s), for len(d) &^ 7 lanes.
//
//go:noescape
func expAVX512(d, a []float32)

//go:noescape
func erfAVX512(d, a []float32)
