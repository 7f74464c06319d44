package main

import (
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

// The store scenario: N rows of 768 (--docs, --dim) stored as float32 or
// float16 (--dtypes), searched for the top 100 (--k) by cosine similarity
// (--metric). Under cosine the rows are normalized when they are added,
// so a search is one fused scan: TopK(MatMul(Normalize(q), rowsᵀ)).
//
// The cases run through package store (store.New, Append, Search,
// SearchBatch), on each backend's engine, as a user of Silica's store
// would.

// rotateQueries is the number of distinct queries the one-query case
// cycles through.
const rotateQueries = 8

// refQueries is the number of queries of a batch compared with the CPU
// reference; the rest of a batch is checked by rescoring (searchCheck).
const refQueries = 64

// searchBatches returns the batch sizes of the search cases: 1, then
// those of --batches.
func searchBatches(batches []int) []int {
	out := []int{1}
	for _, b := range batches {
		if b != 1 {
			out = append(out, b)
		}
	}
	return out
}

// storeNames returns the store scenario's case names.
func storeNames(batches []int) []string {
	names := []string{"store_add"}
	for _, b := range searchBatches(batches) {
		names = append(names, "store_search_"+strconv.Itoa(b))
	}
	return names
}

// selectedSearch reports whether any search case is selected.
func (c *config) selectedSearch() bool {
	for _, n := range storeNames(c.Batches)[1:] {
		if c.selected("store", n) {
			return true
		}
	}
	return false
}

// storeData holds the store's host inputs, made once per run and shared
// by the groups of every dtype.
type storeData struct {
	once          sync.Once
	data, queries tensor
	sample        tensor
	c             *config
	scorers       map[engine.DType]*scorer
	scorersMu     sync.Mutex
}

// inputsFor returns the run's store inputs, making them on first use.
func inputsFor(c *config) *storeData {
	if c.store == nil {
		c.store = &storeData{c: c, scorers: map[engine.DType]*scorer{}}
	}
	s := c.store
	s.once.Do(func() {
		s.data = randomNormal("data", c.Seed+100, c.Docs, c.Dim)
		s.queries = randomNormal("queries", c.Seed+200, max(rotateQueries, slices.Max(c.Batches)), c.Dim)
		rows := sampleRows(c.Docs, 64)
		s.sample = tensor{Name: "sample", Shape: []int{len(rows)}, I64: make([]int64, len(rows))}
		for i, r := range rows {
			s.sample.I64[i] = int64(r)
		}
	})
	return s
}

// scorer returns the float64 scorer of the stored rows as dtype dt.
func (s *storeData) scorer(dt engine.DType) *scorer {
	s.scorersMu.Lock()
	defer s.scorersMu.Unlock()
	if sc, ok := s.scorers[dt]; ok {
		return sc
	}
	sc := newScorer(&s.data, dt, s.c.Metric)
	s.scorers[dt] = sc
	return sc
}

// newStore makes a store on e and appends the rows (ids 0 to N-1, so an
// id is a row's index): stored as dt and, under cosine, normalized.
func newStore(e *engine.Engine, data *tensor, dt engine.DType, metric store.Metric) (*store.Store, error) {
	st, err := store.New(store.Options{Dim: data.cols(), Metric: metric, DType: dt, Engine: e})
	if err != nil {
		return nil, err
	}
	if _, err := st.Append(rowsOf(data, 0, data.rows())); err != nil {
		st.Close()
		return nil, err
	}
	if err := e.Synchronize(); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// rowsOf returns rows [lo, hi) of a matrix as the slices a store takes
// (no copy).
func rowsOf(t *tensor, lo, hi int) [][]float32 {
	d := t.cols()
	out := make([][]float32, hi-lo)
	for i := range out {
		out[i] = t.F32[(lo+i)*d : (lo+i+1)*d]
	}
	return out
}

// hitsTensors turns search results into the [values, indices] outputs
// the checks read.
func hitsTensors(hits [][]store.Hit, k int) []tensor {
	vals := tensor{Shape: []int{len(hits), k}, F32: make([]float32, 0, len(hits)*k)}
	idx := tensor{Shape: []int{len(hits), k}, I64: make([]int64, 0, len(hits)*k)}
	for _, hs := range hits {
		for j := range k {
			if j < len(hs) {
				vals.F32 = append(vals.F32, hs[j].Score)
				idx.I64 = append(idx.I64, hs[j].ID)
			} else { // fewer hits than k: the check reports it
				vals.F32 = append(vals.F32, float32(math.NaN()))
				idx.I64 = append(idx.I64, -1)
			}
		}
	}
	return []tensor{vals, idx}
}

func storePeerParams(c *config, dt engine.DType) map[string]any {
	return map[string]any{"dtype": dt.String(), "metric": c.Metric.String(), "k": c.K}
}

// storePeerSkip says why a peer does not run the store at dt.
func storePeerSkip(dt engine.DType) func(string) string {
	return func(peer string) string {
		switch {
		case peer == "numpy" && dt == engine.Float16:
			return "NumPy has no BLAS for float16 (its half-precision matmul is a scalar loop)"
		case peer == "numpy" && dt != engine.Float32:
			return "NumPy has no " + dt.String()
		case peer == "faiss" && dt != engine.Float32 && dt != engine.Float16:
			return "FAISS stores no " + dt.String() + " here"
		}
		return ""
	}
}

func storeSize(c *config) string { return fmt.Sprintf("%dx%d", c.Docs, c.Dim) }

func storedBytes(c *config, dt engine.DType) int64 {
	return int64(c.Docs) * int64(c.Dim) * int64(dt.Size())
}

// storeAddGroup measures adding the rows: upload (converting to dt on
// the host), normalize under cosine, wait for the device.
func storeAddGroup(c *config, dt engine.DType) *group {
	in := inputsFor(c)
	var want []float32
	g := &group{
		Name: "store", Inputs: []*tensor{&in.data, &in.sample},
		Peer: "store_add", PeerParams: storePeerParams(c, dt), PeerSkip: storePeerSkip(dt), Fresh: true,
	}
	cs := &caseDef{Scenario: "store_add", DType: dt, Size: storeSize(c), Few: true, PeerOp: "add", Stored: storedBytes(c, dt)}
	cs.Prepare = func(e *engine.Engine, _ any) (*prepared, error) {
		p := &prepared{free: func() {}, plan: "store.New + Append"}
		p.run = func(int) error {
			st, err := newStore(e, &in.data, dt, c.Metric)
			if err == nil {
				err = st.Close()
			}
			return err
		}
		p.output = func() ([]tensor, error) {
			st, err := newStore(e, &in.data, dt, c.Metric)
			if err != nil {
				return nil, err
			}
			defer st.Close()
			rows := tensor{Shape: []int{len(in.sample.I64), c.Dim}}
			for _, id := range in.sample.I64 {
				v, err := st.Get(id)
				if err != nil {
					return nil, err
				}
				rows.F32 = append(rows.F32, v...)
			}
			return []tensor{rows}, nil
		}
		return p, nil
	}
	g.Reference = func(*engine.Engine) error {
		// The stored rows in float64: no engine needed.
		sc := in.scorer(dt)
		want = want[:0]
		buf := make([]float64, c.Dim)
		for _, i := range in.sample.I64 {
			for _, v := range sc.row(int(i), buf) {
				want = append(want, float32(v))
			}
		}
		return nil
	}
	cs.Check = func(out []tensor) error {
		shape := []int{len(in.sample.I64), c.Dim}
		if err := checkShapes(out, tensor{Shape: shape, F32: want}); err != nil {
			return err
		}
		u := unitRoundoff(dt)
		return closeTo(out[0].F32, want, shape, func(i int) float64 {
			return 2*u*math.Abs(float64(want[i])) + 4e-7
		})
	}
	g.Cases = []*caseDef{cs}
	return g
}

// storeState is the store on one engine while its searches run.
type storeState struct {
	st               *store.Store
	resident, device int64
}

// storeSearchGroup measures top-k searches: one query at a time (cycling
// through rotateQueries of them) and batches.
func storeSearchGroup(c *config, dt engine.DType) *group {
	in := inputsFor(c)
	var refVals [][]float32 // the reference's scores, per query
	g := &group{
		Name: "store", Inputs: []*tensor{&in.data, &in.queries},
		Peer: "store_search", PeerParams: storePeerParams(c, dt), PeerSkip: storePeerSkip(dt), Fresh: true,
	}
	g.Setup = func(e *engine.Engine) (any, func(), error) {
		res0, dev0 := residentBytes(), e.MemoryInUse()
		s, err := newStore(e, &in.data, dt, c.Metric)
		if err != nil {
			return nil, nil, err
		}
		st := &storeState{st: s, resident: residentBytes() - res0, device: e.MemoryInUse() - dev0}
		if dev0 < 0 {
			st.device = -1
		}
		return st, func() { s.Close() }, nil
	}
	search := func(st *store.Store, first, n int) ([]tensor, error) {
		hits, err := st.SearchBatch(rowsOf(&in.queries, first, first+n), c.K)
		if err != nil {
			return nil, err
		}
		return hitsTensors(hits, c.K), nil
	}
	g.Reference = func(ref *engine.Engine) error {
		st, free, err := g.Setup(ref)
		if err != nil {
			return err
		}
		defer free()
		n := min(refQueries, in.queries.rows())
		outs, err := search(st.(*storeState).st, 0, n)
		if err != nil {
			return err
		}
		vals, idx := outs[0], outs[1]
		refVals = make([][]float32, n)
		for r := range n {
			refVals[r] = vals.F32[r*c.K : (r+1)*c.K]
		}
		// The reference against exact float64 scores of every row, for
		// two queries.
		sc := in.scorer(dt)
		truth := make([][]float32, 2)
		for r := range truth {
			truth[r] = sc.topK(in.queries.F32[r*c.Dim:(r+1)*c.Dim], c.K)
		}
		two := []tensor{{Shape: []int{2, c.K}, F32: vals.F32[:2*c.K]}, {Shape: []int{2, c.K}, I64: idx.I64[:2*c.K]}}
		return searchCheck(sc, two, &in.queries, 0, truth, dt, c.K)
	}
	for _, b := range searchBatches(c.Batches) {
		name := "store_search_" + strconv.Itoa(b)
		if !c.selected("store", name) {
			continue
		}
		rotate := 0
		if b == 1 {
			rotate = rotateQueries
		}
		cs := &caseDef{
			Scenario: name, DType: dt, Size: storeSize(c), Queries: b, PeerOp: "search", Stored: storedBytes(c, dt),
			PeerParams: map[string]any{"batch": b, "k": c.K, "rotate": rotate},
		}
		cs.Prepare = func(e *engine.Engine, state any) (*prepared, error) {
			st := state.(*storeState).st
			p := &prepared{free: func() {}, plan: fmt.Sprintf("store.SearchBatch of %d", b)}
			p.run = func(rep int) error {
				first := 0
				if rotate > 0 {
					first = rep % rotate
				}
				_, err := search(st, first, b)
				return err
			}
			p.output = func() ([]tensor, error) {
				if rotate == 0 {
					return search(st, 0, b)
				}
				var all []tensor
				for rep := range rotate {
					res, err := search(st, rep, 1)
					if err != nil {
						return nil, err
					}
					all = stack(all, res)
				}
				return all, nil
			}
			return p, nil
		}
		cs.Check = func(out []tensor) error {
			n := max(b, rotate)
			shape := []int{n, c.K}
			if err := checkShapes(out, tensor{Shape: shape, F32: []float32{}}, tensor{Shape: shape, I64: []int64{}}); err != nil {
				return err
			}
			return searchCheck(in.scorer(dt), out, &in.queries, 0, refVals, dt, c.K)
		}
		g.Cases = append(g.Cases, cs)
	}
	return g
}

// residentBytes returns the process's resident memory after a garbage
// collection, or -1 where it cannot be read.
func residentBytes() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return processResident()
}
