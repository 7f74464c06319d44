package hamming

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	_ "github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

// randomCodes draws n codes of d bits from a few prototypes, flipping some
// bits, so that distances repeat (ties) and neighbours exist.
func randomCodes(r *rand.Rand, n, d int) []float32 {
	protos := make([][]float32, 5)
	for i := range protos {
		protos[i] = make([]float32, d)
		for j := range protos[i] {
			protos[i][j] = float32(r.NormFloat64())
		}
	}
	v := make([]float32, n*d)
	for i := range n {
		p := protos[r.IntN(len(protos))]
		for j := range d {
			v[i*d+j] = p[j]
			if r.IntN(8) == 0 {
				v[i*d+j] = -p[j]
			}
		}
	}
	return v
}

// bruteForce returns, per query, the reference distances and indices,
// computed from the float vectors themselves (q [m, d], x [n, d]) and not
// through Pack or Distance: the distance of two vectors is the number of
// components whose signs (positive or not) differ, counted as a float64
// sum; ties go to the smaller index.
func bruteForce(q, x []float32, m, n, d, k int) ([]int, []int) {
	k = min(k, n)
	var dist, idx []int
	for i := range m {
		order := make([]int, n)
		dd := make([]float64, n)
		for r := range n {
			order[r] = r
			for j := range d {
				if (q[i*d+j] > 0) != (x[r*d+j] > 0) {
					dd[r]++
				}
			}
		}
		sort.Slice(order, func(a, b int) bool {
			if dd[order[a]] != dd[order[b]] {
				return dd[order[a]] < dd[order[b]]
			}
			return order[a] < order[b]
		})
		for _, r := range order[:k] {
			dist, idx = append(dist, int(dd[r])), append(idx, r)
		}
	}
	return dist, idx
}

func TestSearchOnEngine(t *testing.T) {
	e, err := engine.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range [][4]int{{1, 1, 1, 1}, {3, 1000, 768, 10}, {2, 517, 70, 517}, {4, 300, 33, 1000}, {1, 5000, 4096, 100}} {
		m, n, d, k := c[0], c[1], c[2], c[3]
		qf, xf := randomCodes(r, m, d), randomCodes(r, n, d)
		qv, err := Pack(qf, m, d)
		if err != nil {
			t.Fatal(err)
		}
		xv, _ := Pack(xf, n, d)
		w := Words(d)
		q, _ := e.FromInt32(qv, m, w)
		x, _ := e.FromInt32(xv, n, w)
		dist, idx, err := Search(q, x, k)
		if err != nil {
			t.Fatal(err)
		}
		gd, err := dist.Int64()
		if err != nil {
			t.Fatal(err)
		}
		gi, _ := idx.Int64()
		wd, wi := bruteForce(qf, xf, m, n, d, k)
		if len(gd) != len(wd) {
			t.Fatalf("%v: %d results, want %d", c, len(gd), len(wd))
		}
		for j := range wd {
			if int(gd[j]) != wd[j] || int(gi[j]) != wi[j] {
				t.Fatalf("%v: result %d is (%d, %d), want (%d, %d)", c, j, gd[j], gi[j], wd[j], wi[j])
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	e, _ := engine.Open("cpu")
	q, _ := e.FromInt32([]int32{1, 2}, 1, 2)
	x, _ := e.FromInt32([]int32{1, 2, 3}, 1, 3)
	f, _ := e.FromFloat32([]float32{1, 2}, 1, 2)
	big, _ := e.Zeros(engine.Int32, 1, MaxWords+1)
	for _, c := range []struct {
		q, x *engine.Array
		k    int
		want string
	}{
		{q, x, 1, "differ in length"},
		{q, f, 1, "int32"},
		{q, q, 0, "k = 0"},
		{big, big, 1, "at most"},
	} {
		if _, _, err := Search(c.q, c.x, c.k); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Search(%v, %v, %d): %v, want an error about %q", c.q, c.x, c.k, err, c.want)
		}
	}
	if _, err := Pack([]float32{1, 2, 3}, 2, 2); err == nil {
		t.Error("Pack of 3 values as 2x2: no error")
	}
}
