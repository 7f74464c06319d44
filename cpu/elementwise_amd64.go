package cpu

// Element-wise assembly kernels (elementwise_amd64.s), installed by
// useSIMD with closures that check the operands' lengths first.

//go:noescape
func fmaAVX2(d, a, b, c []float32)

//go:noescape
func addAVX2(d, a, b []float32)

//go:noescape
func subAVX2(d, a, b []float32)

//go:noescape
func mulAVX2(d, a, b []float32)

//go:noescape
func divAVX2(d, a, b []float32)

//go:noescape
func affineAVX2(d, a []float32, s, t float32)

//go:noescape
func maxAVX2(x []float32) float32
