package metal

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/engine/backendtest"
)

// castSource makes test values of dtype dt: ordinary numbers with
// fractions, both signs, and the edges of every conversion (NaN,
// infinities, values that saturate each integer type or overflow half,
// half subnormals, ties).
func castSource(r *rand.Rand, dt engine.DType) []byte {
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 0.5, -0.5, 1.5, -2.5,
		127.4, 127.6, -128.7, 200, -300, 65504, 65520, 1e-7, -3e-6, 2147483520, 3e9, -3e9, 1e19, -1e19, 3e38}
	n := 300
	switch dt {
	case engine.Float32, engine.Float16, engine.BFloat16:
		v := make([]float32, n)
		for i := range v {
			if i < len(special) {
				v[i] = float32(special[i])
			} else {
				v[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(6))))
			}
		}
		b, err := engine.EncodeFloat32(dt, v)
		if err != nil {
			panic(err)
		}
		return b
	}
	b := make([]byte, n*dt.Size())
	for i := range n {
		x := r.Int64()
		switch {
		case i%3 == 0:
			x = int64(r.IntN(512) - 256)
		case i%3 == 1:
			x = int64(int32(r.Uint32()))
		}
		switch dt {
		case engine.Int8:
			b[i] = byte(x)
		case engine.Int32:
			binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
		case engine.Int64:
			if i%7 == 0 {
				x = x >> 12 // exact in float64, so the CPU's route through float64 rounds once
			}
			binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
		}
	}
	return b
}

func TestCast(t *testing.T) {
	// integer outputs: a second poison shows an element left unwritten
	// where 0xFF (-1) is the right answer
	for _, poison := range []byte{backendtest.PoisonByte, 0x5a} {
		p := enginesPoisoned(t, poison)
		s := seed(t)
		r := rand.New(rand.NewPCG(s, 3))
		for _, from := range allTypes {
			raw := castSource(r, from)
			n := len(raw) / from.Size()
			cx, mx := p.from(raw, from, n)
			for _, to := range allTypes {
				if to == from {
					continue
				}
				if from == engine.Int64 && (to == engine.Float32 || to == engine.Float16 || to == engine.BFloat16) {
					// the CPU converts int64 through float64 (two roundings above
					// 2^53); compare the exactly representable part only
					cx2, mx2 := p.from(int64Exact(raw), from, n)
					ok := must[*engine.Array](t)
					p.same(fmt.Sprintf("cast %s -> %s", from, to), ok(engine.Cast(cx2, to)), ok(engine.Cast(mx2, to)))
					continue
				}
				ok := must[*engine.Array](t)
				p.same(fmt.Sprintf("cast %s -> %s", from, to), ok(engine.Cast(cx, to)), ok(engine.Cast(mx, to)))
			}
		}
	}
}

// int64Exact clears the low bits of int64 values so that each is exactly
// a float64.
func int64Exact(raw []byte) []byte {
	out := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 8 {
		v := int64(binary.LittleEndian.Uint64(raw[i:]))
		binary.LittleEndian.PutUint64(out[i:], uint64(v>>11<<11))
	}
	return out
}

func TestQuantize(t *testing.T) {
	// integer outputs: a second poison shows an element left unwritten
	// where 0xFF (-1) is the right answer
	for _, poison := range []byte{backendtest.PoisonByte, 0x5a} {
		p := enginesPoisoned(t, poison)
		s := seed(t)
		for _, dt := range floatTypes {
			for i, shape := range [][]int{{1, 1}, {1, 40}, {13, 77}, {33, 300}} {
				c, m := p.normal(s+uint64(i), dt, shape...)
				cq, cs, err := engine.Quantize(c)
				if err != nil {
					t.Fatal(err)
				}
				mq, ms, err := engine.Quantize(m)
				if err != nil {
					t.Fatal(err)
				}
				what := fmt.Sprintf("quantize %s %v", dt, shape)
				p.same(what+" q", cq, mq)
				p.same(what+" scales", cs, ms)
				ok := must[*engine.Array](t)
				p.same(what+" dequantize", ok(engine.Dequantize(cq, cs)), ok(engine.Dequantize(mq, ms)))
			}
		}
		// a zero row has scale 1
		c, m := p.from(make([]byte, 4*8), engine.Float32, 2, 4)
		cq, cs, _ := engine.Quantize(c)
		mq, ms, _ := engine.Quantize(m)
		p.same("quantize zeros q", cq, mq)
		p.same("quantize zeros scales", cs, ms)
	}
}
