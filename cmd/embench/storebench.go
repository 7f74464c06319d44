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

// largeKBatch is the number of queries of a large-k case unless
// --large-k-batches says otherwise (its default).
const largeKBatch = 8

// largeKName is the name of the large-k case of b queries for k.
func largeKName(b, k int) string { return fmt.Sprintf("store_search_%d_k%d", b, k) }

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

// searchCase is one search case of the store: batch queries, top k.
type searchCase struct {
	name     string
	batch, k int
}

// searchCases returns the store's search cases: each batch size (1 and
// --batches) at --k, then each of --large-k-batches at each --large-k
// that the rows can satisfy (k at most --docs), except a batch size of
// the first kind at --k itself (the same search).
func searchCases(c *config) []searchCase {
	var out []searchCase
	plain := searchBatches(c.Batches)
	for _, b := range plain {
		out = append(out, searchCase{"store_search_" + strconv.Itoa(b), b, c.K})
	}
	for _, k := range c.LargeK {
		for _, b := range c.LargeKBatches {
			if k <= c.Docs && (k != c.K || !slices.Contains(plain, b)) {
				out = append(out, searchCase{largeKName(b, k), b, k})
			}
		}
	}
	return out
}

// largeKLeftOut returns the --large-k values above --docs: their cases
// do not run.
func largeKLeftOut(c *config) []int {
	var out []int
	for _, k := range c.LargeK {
		if k > c.Docs {
			out = append(out, k)
		}
	}
	return out
}

// largeKRun returns the --large-k values whose cases run (never nil).
func largeKRun(c *config) []int {
	out := []int{}
	for _, k := range c.LargeK {
		if k <= c.Docs {
			out = append(out, k)
		}
	}
	return out
}

// storeNames returns the store scenario's case names.
func storeNames(c *config) []string {
	names := []string{"store_add"}
	for _, sc := range searchCases(c) {
		names = append(names, sc.name)
	}
	return names
}

// selectedSearch reports whether any search case is selected.
func (c *config) selectedSearch() bool {
	for _, n := range storeNames(c)[1:] {
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
		s.queries = randomNormal("queries", c.Seed+200, max(rotateQueries, slices.Max(c.Batches), slices.Max(c.LargeKBatches)), c.Dim)
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

// layout is how a store spreads its rows: over Devices devices (1: the
// engine's own) with Shards shards on each.
type layout struct{ Devices, Shards int }

// plain reports whether l is the plain store on one device.
func (l layout) plain() bool { return l.Devices <= 1 && l.Shards <= 1 }

// layouts returns the store layouts of the search cases: every
// --devices count with every --shards count.
func (c *config) layouts() []layout {
	var out []layout
	for _, d := range c.Devices {
		for _, s := range c.Shards {
			out = append(out, layout{d, s})
		}
	}
	return out
}

// layoutStore is newStore for layout lay: on the engine's own device
// with lay.Shards shards, or over the first lay.Devices devices of the
// engine's backend (which the store opens itself).
func layoutStore(e *engine.Engine, lay layout, data *tensor, dt engine.DType, metric store.Metric) (*store.Store, error) {
	if lay.plain() {
		return newStore(e, data, dt, metric)
	}
	o := store.Options{Dim: data.cols(), Metric: metric, DType: dt, Engine: e, Shards: lay.Shards}
	if lay.Devices > 1 {
		driver, _ := engine.SplitName(e.Name())
		devs, _ := engine.Devices(driver)
		if len(devs) < lay.Devices {
			return nil, fmt.Errorf("backend %s lists %d devices; --devices %d needs that many", driver, len(devs), lay.Devices)
		}
		o.Engine, o.Backend, o.Devices = nil, driver, devs[:lay.Devices]
	}
	st, err := store.New(o)
	if err != nil {
		return nil, err
	}
	if _, err := st.Append(rowsOf(data, 0, data.rows())); err != nil {
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

// storeState is the store on one engine while its searches run, and
// the same rows as engine arrays for the kernel-only timings.
type storeState struct {
	st               *store.Store
	resident, device int64
	x                *engine.Array // the rows as the store keeps them, [N, dim] of the storage dtype; nil on an adapter
}

// storeSearchGroup measures top-k searches: one query at a time (cycling
// through rotateQueries of them), batches, and the large-k batches at
// each large k. On the engine backends each case is timed twice: end to
// end through the store (queries from the host, hits back on the host),
// and kernel only (caseDef.Kernel).
//
// A layout other than the plain one (--devices, --shards) makes the store
// with that many devices and shards per device; its cases have no
// kernel-only form and no peers (they run the plain store's).
func storeSearchGroup(c *config, dt engine.DType, lay layout) *group {
	in := inputsFor(c)
	cases := searchCases(c)
	kmax := 0
	for _, sc := range cases {
		kmax = max(kmax, sc.k)
	}
	var refVals [][]float32 // the reference's kmax best scores, per query
	g := &group{
		Name: "store", Inputs: []*tensor{&in.data, &in.queries},
		Peer: "store_search", PeerParams: storePeerParams(c, dt), PeerSkip: storePeerSkip(dt), Fresh: true,
	}
	if !lay.plain() {
		// Plain PyTorch sharded by hand beside the sharded store; the
		// other peers run the plain store's cases only.
		g.PeerParams["devices"], g.PeerParams["shards"] = lay.Devices, lay.Shards
		g.PeerSkip = func(peer string) string {
			if peer == "torch" {
				return storePeerSkip(dt)(peer)
			}
			return "runs the plain store's cases, not those of --devices and --shards (torch shards by hand)"
		}
	}
	g.Setup = func(e *engine.Engine) (any, func(), error) {
		res0, dev0 := residentBytes(), e.MemoryInUse()
		s, err := layoutStore(e, lay, &in.data, dt, c.Metric)
		if err != nil {
			return nil, nil, err
		}
		st := &storeState{st: s, resident: residentBytes() - res0, device: e.MemoryInUse() - dev0}
		if dev0 < 0 || lay.Devices > 1 {
			st.device = -1 // the other devices' memory is not counted
		}
		if !lay.plain() || !slices.Contains(silicaBackends, e.Device().Backend) {
			return st, func() { s.Close() }, nil // an adapter: no kernel-only timing
		}
		if st.x, err = deviceRows(e, &in.data, dt, c.Metric); err != nil {
			s.Close()
			return nil, nil, fmt.Errorf("the rows for the kernel-only scan: %w", err)
		}
		return st, func() { s.Close(); st.x.Free() }, nil
	}
	search := func(st *store.Store, first, n, k int) ([]tensor, error) {
		hits, err := st.SearchBatch(rowsOf(&in.queries, first, first+n), k)
		if err != nil {
			return nil, err
		}
		return hitsTensors(hits, k), nil
	}
	g.Reference = func(ref *engine.Engine) error {
		st, err := newStore(ref, &in.data, dt, c.Metric)
		if err != nil {
			return err
		}
		defer st.Close()
		n := min(refQueries, in.queries.rows())
		outs, err := search(st, 0, n, kmax)
		if err != nil {
			return err
		}
		vals, idx := outs[0], outs[1]
		refVals = make([][]float32, n)
		for r := range n {
			refVals[r] = vals.F32[r*kmax : (r+1)*kmax]
		}
		// The reference against exact float64 scores of every row, for
		// two queries, at the largest k (the best k of any smaller k are
		// its first k).
		sc := in.scorer(dt)
		truth := make([][]float32, 2)
		for r := range truth {
			truth[r] = sc.topK(in.queries.F32[r*c.Dim:(r+1)*c.Dim], kmax)
		}
		two := []tensor{{Shape: []int{2, kmax}, F32: vals.F32[:2*kmax]}, {Shape: []int{2, kmax}, I64: idx.I64[:2*kmax]}}
		return searchCheck(sc, two, &in.queries, 0, truth, dt, kmax)
	}
	for _, sc := range cases {
		if !c.selected("store", sc.name) {
			continue
		}
		b, k := sc.batch, sc.k
		rotate := 0
		if b == 1 {
			rotate = rotateQueries
		}
		cs := &caseDef{
			Scenario: sc.name, DType: dt, Size: storeSize(c), Queries: b, PeerOp: "search", Stored: storedBytes(c, dt),
			PeerParams: map[string]any{"batch": b, "k": k, "rotate": rotate}, Layout: lay,
		}
		cs.Prepare = func(e *engine.Engine, state any) (*prepared, error) {
			st := state.(*storeState).st
			p := &prepared{free: func() {}, plan: fmt.Sprintf("store.SearchBatch of %d, k=%d", b, k)}
			if ss := st.Stats(); ss.Shards > 1 {
				p.plan += fmt.Sprintf(", %d shards on %s", ss.Shards, ss.Backend)
			}
			p.run = func(rep int) error {
				first := 0
				if rotate > 0 {
					first = rep % rotate
				}
				// The timed run is the user's call alone: its hits are
				// turned into the checks' tensors only in output.
				_, err := st.SearchBatch(rowsOf(&in.queries, first, first+b), k)
				return err
			}
			p.output = func() ([]tensor, error) {
				if rotate == 0 {
					return search(st, 0, b, k)
				}
				var all []tensor
				for rep := range rotate {
					res, err := search(st, rep, 1, k)
					if err != nil {
						return nil, err
					}
					all = stack(all, res)
				}
				return all, nil
			}
			return p, nil
		}
		cs.Kernel = func(e *engine.Engine, state any) (*prepared, error) {
			x := state.(*storeState).x
			if x == nil {
				return nil, nil
			}
			return kernelSearch(e, x, &in.queries, dt, c.Metric, b, k, rotate)
		}
		cs.Check = func(out []tensor) error {
			n := max(b, rotate)
			shape := []int{n, k}
			if err := checkShapes(out, tensor{Shape: shape, F32: []float32{}}, tensor{Shape: shape, I64: []int64{}}); err != nil {
				return err
			}
			expect := make([][]float32, min(n, len(refVals)))
			for r := range expect {
				expect[r] = refVals[r][:k]
			}
			return searchCheck(in.scorer(dt), out, &in.queries, 0, expect, dt, k)
		}
		g.Cases = append(g.Cases, cs)
	}
	return g
}

// deviceRows puts the rows on e as the store keeps them: under cosine
// uploaded as float32, normalized and converted to dt on the device (as
// store.Append does); otherwise converted to dt while uploading.
func deviceRows(e *engine.Engine, data *tensor, dt engine.DType, metric store.Metric) (*engine.Array, error) {
	if metric != store.Cosine {
		return data.upload(e, dt)
	}
	x32, err := data.upload(e, engine.Float32)
	if err != nil {
		return nil, err
	}
	defer x32.Free()
	x, err := engine.Normalize(x32)
	if err == nil && dt != engine.Float32 {
		x, err = engine.Cast(x, dt)
	}
	if err != nil {
		return nil, err
	}
	if err := e.Eval(x); err != nil {
		x.Free()
		return nil, err
	}
	return x, nil
}

// kernelSearch is the kernel-only form of a search case: the engine's
// scan alone, TopK(MatMul(Normalize(q), xᵀ)) under cosine (MatMul under
// dot, L2Distance under l2), which the engine fuses into one scan_topk
// step, over rows x already on the device and queries uploaded before
// the timing (in the dtype the store uploads them in: float16 for
// float16 rows, else float32); a repetition is Eval and Synchronize,
// nothing read back. rotate > 0 cycles through that many single queries.
// It selects k+1 results (at most the rows), as the store asks its scan
// for one more than k to see ties at the k-th place, so that the two
// times differ by the path around the same kernels (k = 4096 rounds its
// select's sort up to 8192 keys); its output is cut to k on the host for
// the check.
func kernelSearch(e *engine.Engine, x *engine.Array, queries *tensor, dt engine.DType, metric store.Metric, b, k, rotate int) (*prepared, error) {
	qdt := engine.Float32
	if dt == engine.Float16 {
		qdt = engine.Float16
	}
	d := queries.cols()
	var qs []*engine.Array
	free := func() {
		for _, q := range qs {
			q.Free()
		}
	}
	for i := range max(1, rotate) {
		n := b
		if rotate > 0 {
			n = 1
		}
		q, err := e.FromFloat32As(queries.F32[i*d:(i+n)*d], qdt, n, d)
		if err != nil {
			free()
			return nil, fmt.Errorf("upload the queries: %w", err)
		}
		qs = append(qs, q)
	}
	build := func(rep int) ([]*engine.Array, error) {
		q := qs[rep%len(qs)]
		var s *engine.Array
		var err error
		switch metric {
		case store.Cosine:
			if q, err = engine.Normalize(q); err == nil {
				s, err = engine.MatMul(q, x, false, true)
			}
		case store.Dot:
			s, err = engine.MatMul(q, x, false, true)
		default:
			s, err = engine.L2Distance(q, x)
		}
		if err != nil {
			return nil, err
		}
		vals, idx, err := engine.TopK(s, min(k+1, x.Shape()[0]), metric != store.L2)
		if err != nil {
			return nil, err
		}
		return []*engine.Array{vals, idx}, nil
	}
	p, err := graphCase(e, build, false, rotate, free)
	if err != nil {
		free()
		return nil, err
	}
	output := p.output
	p.output = func() ([]tensor, error) {
		out, err := output()
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i] = firstCols(out[i], k)
		}
		return out, nil
	}
	return p, nil
}

// firstCols returns the first k columns of a matrix t (all of them when
// it has k or fewer).
func firstCols(t tensor, k int) tensor {
	if len(t.Shape) != 2 || t.Shape[1] <= k {
		return t
	}
	rows, cols := t.Shape[0], t.Shape[1]
	out := tensor{Name: t.Name, Shape: []int{rows, k}}
	for r := range rows {
		if t.F32 != nil {
			out.F32 = append(out.F32, t.F32[r*cols:r*cols+k]...)
		}
		if t.I64 != nil {
			out.I64 = append(out.I64, t.I64[r*cols:r*cols+k]...)
		}
	}
	return out
}

// residentBytes returns the process's resident memory after a garbage
// collection, or -1 where it cannot be read.
func residentBytes() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return processResident()
}
