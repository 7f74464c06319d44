package cpu

// Vector exp and erf (expf_amd64.s), installed by useSIMD behind
// closures that check the lengths and finish the last len(d)%4 lanes
// with expF32 and erfF32.

//go:noescape
func expAVX2(d, a []float32)

//go:noescape
func erfAVX2(d, a []float32)
