package main

import (
	"fmt"
	"sort"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/hamming"
	"github.com/silica-go/silica/store"
)

// The binary scenario: the store's rows and queries as sign-bit codes
// (package hamming, a kernel added through the public engine.NewKernel
// API), searched by Hamming distance with the kernel's fused top-k: one
// query at a time, beside store_search_1's float32 search of the same
// rows. Its rows report recall@10 against the exact float32 answer (by
// the store's metric), so speed and quality are read together. Backends
// without the kernel's source run its Go function on the host, and the
// plan column says so.

// binaryGroup makes the group.
func binaryGroup(c *config) *group {
	in := inputsFor(c)
	w := hamming.Words(c.Dim)
	var qcodes, xcodes []int32
	var want [][]int    // per rotated query: the reference's indices
	var wantD [][]int   // and distances
	var exact [][]int64 // per rotated query: the float32 top 10
	g := &group{
		Name: "store", Inputs: []*tensor{&in.data, &in.queries},
		PeerSkip: func(string) string { return "binary codes are searched by a Silica kernel (package hamming)" },
	}
	pack := func() error {
		var err error
		if xcodes, err = hamming.Pack(in.data.F32, in.data.rows(), c.Dim); err != nil {
			return err
		}
		qcodes, err = hamming.Pack(in.queries.F32[:rotateQueries*c.Dim], rotateQueries, c.Dim)
		return err
	}
	g.Reference = func(ref *engine.Engine) error {
		if err := pack(); err != nil {
			return err
		}
		n := in.data.rows()
		k := min(c.K, n)
		want, wantD, exact = make([][]int, rotateQueries), make([][]int, rotateQueries), make([][]int64, rotateQueries)
		dist := make([]int, n)
		for q := range rotateQueries {
			order := make([]int, n)
			for r := range n {
				order[r], dist[r] = r, hamming.Distance(qcodes[q*w:(q+1)*w], xcodes[r*w:(r+1)*w])
			}
			sort.SliceStable(order, func(a, b int) bool { return dist[order[a]] < dist[order[b]] })
			want[q] = order[:k]
			wantD[q] = make([]int, k)
			for j, r := range order[:k] {
				wantD[q][j] = dist[r]
			}
		}
		// The float32 answer, for recall: the CPU reference's fused scan.
		x, err := ref.FromFloat32(in.data.F32, n, c.Dim)
		if err != nil {
			return err
		}
		defer x.Free()
		q, err := ref.FromFloat32(in.queries.F32[:rotateQueries*c.Dim], rotateQueries, c.Dim)
		if err != nil {
			return err
		}
		defer q.Free()
		var scores *engine.Array
		switch c.Metric {
		case store.L2:
			scores, err = engine.L2Distance(q, x)
		case store.Dot:
			scores, err = engine.MatMul(q, x, false, true)
		default:
			scores, err = engine.Cosine(q, x)
		}
		if err != nil {
			return err
		}
		_, idx, err := engine.TopK(scores, 10, c.Metric != store.L2)
		if err != nil {
			return err
		}
		ids, err := idx.Int64()
		if err != nil {
			return err
		}
		top := min(10, n)
		for q := range rotateQueries {
			exact[q] = ids[q*top : (q+1)*top]
		}
		return nil
	}
	if !c.selected("store", "binary_search_1") {
		return g
	}
	cs := &caseDef{
		Scenario: "binary_search_1", DType: engine.Int32, Label: fmt.Sprintf("binary (%d bits)", c.Dim),
		Size: storeSize(c), Queries: 1, Stored: int64(in.data.rows() * w * 4),
	}
	cs.Prepare = func(e *engine.Engine, _ any) (*prepared, error) {
		if xcodes == nil {
			if err := pack(); err != nil {
				return nil, err
			}
		}
		x, err := e.FromInt32(xcodes, in.data.rows(), w)
		if err != nil {
			return nil, err
		}
		qs := make([]*engine.Array, rotateQueries)
		for i := range qs {
			if qs[i], err = e.FromInt32(qcodes[i*w:(i+1)*w], 1, w); err != nil {
				return nil, err
			}
		}
		free := func() {
			x.Free()
			for _, a := range qs {
				a.Free()
			}
		}
		return graphCase(e, func(rep int) ([]*engine.Array, error) {
			d, i, err := hamming.Search(qs[rep%rotateQueries], x, c.K)
			return []*engine.Array{d, i}, err
		}, true, rotateQueries, free)
	}
	cs.Check = func(out []tensor) error {
		if len(out) != 2 || len(out[0].I64) != len(out[1].I64) {
			return fmt.Errorf("want distances and indices, got %d outputs", len(out))
		}
		k := len(want[0])
		for q := range rotateQueries {
			for j := range k {
				d, i := out[0].I64[q*k+j], out[1].I64[q*k+j]
				if int(d) != wantD[q][j] || int(i) != want[q][j] {
					return fmt.Errorf("query %d rank %d: (distance %d, row %d), want (%d, %d)", q, j, d, i, wantD[q][j], want[q][j])
				}
			}
		}
		return nil
	}
	cs.Recall = func(out []tensor) float64 {
		k := len(want[0])
		hits, total := 0, 0
		for q := range rotateQueries {
			got := map[int64]bool{}
			for _, i := range out[1].I64[q*k : q*k+min(10, k)] {
				got[i] = true
			}
			for _, i := range exact[q] {
				total++
				if got[i] {
					hits++
				}
			}
		}
		return float64(hits) / float64(max(total, 1))
	}
	g.Cases = append(g.Cases, cs)
	return g
}
