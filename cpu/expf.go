package cpu

import "math"

// Fast exp and erf for float32 lanes. The generic element-wise path calls
// math.Exp and math.Erf through the op table in float64 (exact to half an
// ulp, 15 to 25 ns an element); an encoder's softmax and GELU spend most
// of their time there. These evaluate short polynomials in float64 and
// round once to float32: within 1 ulp of math.Exp and within 2 ulps of
// math.Erf (the shared suite allows erf 4), NaN, infinities, overflow,
// underflow to subnormals and zero, and the sign of zero handled as the
// math package does. TestExpErfF32 checks them against math.Exp and
// math.Erf on a sweep and at the edges.

// expRange bounds the inputs expF32 computes: above expHi the float32
// result is +Inf, below expLo it rounds to zero.
const (
	expHi = 88.72284 // just above log(MaxFloat32) = 88.7228391
	expLo = -104.0   // below log(2^-150)
)

// expF32 returns e^x rounded to float32.
func expF32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > expHi:
		return float32(math.Inf(1))
	case x < expLo:
		return 0
	}
	// e^x = 2^k e^r with r = x - k ln2, |r| <= ln2/2; ln2 split in two so
	// that k*ln2Hi is exact (k has at most 8 bits).
	const (
		log2e = 1.4426950408889634
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
	)
	f := float64(x)
	k := math.Floor(f*log2e + 0.5)
	r := f - k*ln2Hi - k*ln2Lo
	// Taylor to degree 8 on |r| <= 0.347: truncation 0.347^9/9! < 2e-10
	// relative, far below float32's 6e-8.
	p := 1.0 / 40320
	p = p*r + 1.0/5040
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	// 2^k for k in [-151, 128]: a float64 exponent.
	return float32(p * math.Float64frombits(uint64(int64(k)+1023)<<52))
}

// erfF32 returns erf(x) rounded to float32: below 1, x + x*P(x²); from 1
// to 3.92, 1 - e^Q(|x|); beyond, ±1 (erf rounds to it in float32). The
// coefficients are those of kernels/metal/silica.h's erff (fitted for
// that file), evaluated here in float64.
func erfF32(x float32) float32 {
	f := float64(x)
	a := math.Abs(f)
	if a < 1 {
		s := f * f
		p := 7.889122207e-05
		p = p*s - 8.020841051e-04
		p = p*s + 5.189535208e-03
		p = p*s - 2.685444430e-02
		p = p*s + 1.128360033e-01
		p = p*s - 3.761262596e-01
		p = p*s + 1.283791661e-01
		return float32(f*p + f)
	}
	if a >= 3.92 {
		return float32(math.Copysign(1, f))
	}
	if x != x {
		return x
	}
	q := 1.599799248e-06
	q = q*a - 4.529770376e-05
	q = q*a + 5.901999539e-04
	q = q*a - 4.727672786e-03
	q = q*a + 2.632747777e-02
	q = q*a - 1.099096462e-01
	q = q*a - 6.320134997e-01
	q = q*a - 1.130119681e+00
	q = q*a + 2.910125186e-04
	return float32(math.Copysign(1-expF64Short(q), f))
}

// expF64Short returns e^q for q in [-16, 0] (erfF32's range) to about
// 1e-10 relative: the same reduction and polynomial as expF32, without
// its edge cases.
func expF64Short(q float64) float64 {
	const (
		log2e = 1.4426950408889634
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
	)
	k := math.Floor(q*log2e + 0.5)
	r := q - k*ln2Hi - k*ln2Lo
	p := 1.0 / 40320
	p = p*r + 1.0/5040
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// expGo is the portable d[i] = expF32(a[i]).
func expGo(d, a []float32) {
	a = a[:len(d)]
	for i := range d {
		d[i] = expF32(a[i])
	}
}

// erfGo is the portable d[i] = erfF32(a[i]).
func erfGo(d, a []float32) {
	a = a[:len(d)]
	for i := range d {
		d[i] = erfF32(a[i])
	}
}
