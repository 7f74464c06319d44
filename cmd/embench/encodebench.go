package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/silica-go/silica/encode"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/textcorpus"
	"github.com/silica-go/silica/store"
)

// The encode scenarios: --texts fortunes (internal/textcorpus) encoded by
// the sentence encoder of --model (package encode) on each of Silica's
// backends, beside sentence-transformers on torch and ONNX Runtime on the
// CPU (encode_peers.py):
//
//	encode        every text encoded (Encoder.Encode: tokenizing included), documents/s and tokens/s
//	encode_store  the seed's pipeline: the texts encoded and added to a store (AddTexts), then
//	              --text-queries other fortunes searched one at a time for the top --k
//	              (SearchText); total time, documents/s of encoding and adding, search ms, peak memory
//
// Every output is checked against sentence-transformers in float32 on
// the CPU (the reference) before it is timed: each text's cosine with the
// reference at least minCosine (minCosineHalf in float16), and the
// pipeline's hits the exact top k over the vectors it stored.

// The tolerances of the encode check: the cosine of every text's
// embedding with the reference's.
const (
	minCosine     = 0.9999
	minCosineHalf = 0.9995 // float16 weights and activations
)

// peerBatch is the batch of texts each encode peer runs at once: texts
// sorted by length, each batch padded to its longest (sentence-transformers'
// own policy, at its default size; 32 was also the fastest of 16, 32, 64
// and 128 for both peers on the 2-core development machine).
const peerBatch = 32

// Peer names of the encode scenarios.
const (
	peerST  = "sentence-transformers"
	peerORT = "onnxruntime"
)

// encodePeers are the peers that run the encode scenarios.
var encodePeers = []string{peerST, peerORT}

// encoderTable is the -scenario name of both encode scenarios.
const encoderTable = "encoder"

// encodeNames are the encode scenarios.
var encodeNames = []string{"encode", "encode_store"}

// isEncodeScenario reports whether a scenario belongs to the encode table.
func isEncodeScenario(name string) bool { return slices.Contains(encodeNames, name) }

// textData is the encode scenarios' input, made once per run: the texts,
// the model, and the reference's embeddings.
type textData struct {
	once    sync.Once
	err     error // why the encode scenarios cannot run here
	model   string
	docs    []string
	queries []string
	tokens  int // of the docs, as the model's tokenizer counts them (truncated)
	dim     int

	refOnce sync.Once
	refErr  error
	ref     tensor // [docs+queries, dim]: sentence-transformers float32 on the CPU

	py *python // the interpreter that computes the reference (set by benchmark)
}

// textsFor returns the run's text inputs, made on first use: --texts
// fortunes for documents and --text-queries others for queries, picked by
// --seed; err says why the encode scenarios cannot run.
func textsFor(c *config) *textData {
	if c.text == nil {
		c.text = &textData{}
	}
	t := c.text
	t.once.Do(func() { t.err = t.load(c) })
	return t
}

func (t *textData) load(c *config) error {
	dir, err := encode.Find(c.Model)
	if err != nil {
		return err
	}
	t.model = dir
	all, fortunes, err := textcorpus.Read()
	if err != nil {
		return err
	}
	if n := c.Texts + c.TextQueries; n > fortunes {
		return fmt.Errorf("-texts %d and -text-queries %d ask for %d texts; the corpus has %d", c.Texts, c.TextQueries, n, fortunes)
	}
	order := rand.New(rand.NewPCG(c.Seed, 16)).Perm(fortunes)
	for _, i := range order[:c.Texts] {
		t.docs = append(t.docs, all[i])
	}
	for _, i := range order[c.Texts : c.Texts+c.TextQueries] {
		t.queries = append(t.queries, all[i])
	}
	// The tokenizer alone, for the token count: the weights load per
	// backend.
	e, err := engine.Open(referenceBackend)
	if err != nil {
		return err
	}
	defer e.Close()
	m, err := encode.Load(dir, encode.Options{Engine: e})
	if err != nil {
		return err
	}
	defer m.Close()
	t.dim = m.Dim()
	for _, s := range t.docs {
		t.tokens += len(m.Tokenizer().Encode(s, m.MaxTokens()))
	}
	if t.py == nil {
		return fmt.Errorf("no Python for the reference (sentence-transformers): %s", c.pythonWhy)
	}
	if _, ok := t.py.mods[peerST]; !ok {
		return fmt.Errorf("the reference is sentence-transformers on the CPU: %s", t.py.why[peerST])
	}
	return nil
}

// reference computes the reference embeddings once, in a Python process
// of its own (encode_peers.reference).
func (t *textData) reference() error {
	t.refOnce.Do(func() {
		proc, err := t.py.start()
		if err != nil {
			t.refErr = err
			return
		}
		defer proc.close()
		paths, err := t.py.texts(map[string][]string{"ref": append(slices.Clone(t.docs), t.queries...)})
		if err != nil {
			t.refErr = err
			return
		}
		defer os.Remove(paths["ref"])
		a, err := proc.call(map[string]any{"cmd": "encode_reference", "model": t.model, "texts": paths["ref"], "out": paths["ref"] + ".npy"})
		if err != nil {
			t.refErr = fmt.Errorf("sentence-transformers (the reference): %w", err)
			return
		}
		t.ref, err = readNPY(a.Files[0])
		os.Remove(a.Files[0])
		if err == nil && (len(t.ref.Shape) != 2 || t.ref.rows() != len(t.docs)+len(t.queries) || t.ref.cols() != t.dim) {
			err = fmt.Errorf("the reference is %s, want [%d %d]", &t.ref, len(t.docs)+len(t.queries), t.dim)
		}
		t.refErr = err
	})
	return t.refErr
}

// cosineCheck checks that got holds n rows, each with a cosine of at
// least minCos with row first+i of the reference.
func (t *textData) cosineCheck(got *tensor, first, n int, minCos float64) error {
	d := t.dim
	if len(got.Shape) != 2 || got.rows() != n || got.cols() != d || len(got.F32) != n*d || first+n > t.ref.rows() {
		return fmt.Errorf("embeddings %s, want [%d %d]", got, n, d)
	}
	bad, worst, worstAt := t.cosines(got, first, n, minCos)
	if bad > 0 {
		return fmt.Errorf("%d of %d texts have a cosine below %g with sentence-transformers' embedding; the worst, text %d, %.6f", bad, n, minCos, worstAt, worst)
	}
	return nil
}

// cosines returns how many of got's n rows have a cosine below minCos
// with rows first... of the reference (NaN counts), and the lowest cosine
// and its row. got must hold n rows of the reference's width.
func (t *textData) cosines(got *tensor, first, n int, minCos float64) (bad int, worst float64, worstAt int) {
	d := t.dim
	worst, worstAt = 2.0, -1
	for i := range n {
		c := cosine64(got.F32[i*d:(i+1)*d], t.ref.F32[(first+i)*d:(first+i+1)*d])
		if !(c >= minCos) { // NaN fails
			bad++
		}
		if !(c >= worst) {
			worst, worstAt = c, i
		}
	}
	return bad, worst, worstAt
}

// cosine64 is the cosine of a and b in float64 (NaN for a zero vector).
func cosine64(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab, aa, bb = ab+x*y, aa+x*x, bb+y*y
	}
	return ab / math.Sqrt(aa*bb)
}

// minCosineOf returns the encode check's tolerance at dt.
func minCosineOf(dt engine.DType) float64 {
	if dt == engine.Float32 {
		return minCosine
	}
	return minCosineHalf
}

// encodeSize is the encode cases' size column.
func encodeSize(c *config) string { return fmt.Sprintf("%d texts", c.Texts) }

// encodeGroupSkips sets why a backend or peer does not run the encode
// scenarios at dt.
func encodeGroupSkips(c *config, g *group, dt engine.DType) {
	g.PeerSkip = func(peer string) string {
		switch {
		case !slices.Contains(encodePeers, peer):
			return "runs no sentence encoder (the encode scenarios' peers are sentence-transformers and onnxruntime)"
		case peer == peerORT && dt != engine.Float32:
			return "the ONNX export is float32"
		case peer == peerST && dt != engine.Float32 && c.text.py != nil && c.text.py.torchDevice != "cuda":
			return "torch has no fast " + dt.String() + " products on the CPU: sentence-transformers runs " + dt.String() + " on a GPU"
		}
		return ""
	}
	g.BackendSkip = func(be *openBackend) string {
		if !slices.Contains(silicaBackends, be.info.Backend) && !slices.Contains(c.Backend, be.name) {
			return "the encoder's graph is many small steps, each a call through the adapter's shim (1 to 4 documents/s measured here): name the backend in -backend to run it"
		}
		if dt != engine.Float32 && be.info.Device == "cpu" {
			return dt.String() + " encoding is for GPUs: a CPU backend converts half-precision products to float32"
		}
		return ""
	}
}

// encodeState is an encoder loaded on one backend.
type encodeState struct{ m *encode.Encoder }

// encodeSetup loads the model on e with weights of dtype dt.
func encodeSetup(c *config, dt engine.DType) func(e *engine.Engine) (any, func(), error) {
	return func(e *engine.Engine) (any, func(), error) {
		m, err := encode.Load(c.text.model, encode.Options{Engine: e, DType: dt, BatchTokens: c.BatchTokens})
		if err != nil {
			return nil, nil, err
		}
		return &encodeState{m: m}, func() { m.Close() }, nil
	}
}

// encodePeerParams are the encode groups' parameters for the peers.
func encodePeerParams(c *config, dt engine.DType) map[string]any {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return map[string]any{
		"model": c.text.model, "dtype": dt.String(), "batch": peerBatch, "k": min(c.K, c.Texts),
		"onnx_cache": cache + "/silica/embench-onnx",
	}
}

// encodeGroup measures Encoder.Encode of the texts.
func encodeGroup(c *config, dt engine.DType) *group {
	t := textsFor(c)
	if t.err != nil {
		return &group{Name: "encode", Unavailable: t.err.Error()}
	}
	g := &group{
		Name: "encode", Texts: map[string][]string{"texts": t.docs},
		Peer: "encode", PeerParams: encodePeerParams(c, dt),
		Setup: encodeSetup(c, dt), Fresh: true,
		Reference: func(*engine.Engine) error { return t.reference() },
	}
	encodeGroupSkips(c, g, dt)
	cs := &caseDef{Scenario: "encode", DType: dt, Size: encodeSize(c), Few: true, PeerOp: "encode", Texts: len(t.docs), Tokens: t.tokens}
	cs.Prepare = func(e *engine.Engine, state any) (*prepared, error) {
		m := state.(*encodeState).m
		p := &prepared{free: func() {}, plan: fmt.Sprintf("Encoder.Encode, batches of %d tokens", m.BatchTokens())}
		p.run = func(int) error { _, err := m.Encode(t.docs); return err }
		p.output = func() ([]tensor, error) {
			vecs, err := m.Encode(t.docs)
			if err != nil {
				return nil, err
			}
			return []tensor{matrix(vecs, t.dim)}, nil
		}
		return p, nil
	}
	cs.Check = func(out []tensor) error {
		if len(out) != 1 {
			return fmt.Errorf("%d outputs, want 1", len(out))
		}
		return t.cosineCheck(&out[0], 0, len(t.docs), minCosineOf(dt))
	}
	cs.Cosine = func(out []tensor) float64 { // out passed Check
		_, worst, _ := t.cosines(&out[0], 0, len(t.docs), 0)
		return worst
	}
	g.Cases = []*caseDef{cs}
	return g
}

// encodeStoreGroup measures the seed's pipeline: the texts encoded and
// added to a store, the queries encoded and searched one at a time.
func encodeStoreGroup(c *config, dt engine.DType) *group {
	t := textsFor(c)
	if t.err != nil {
		return &group{Name: "encode", Unavailable: t.err.Error()}
	}
	k := min(c.K, c.Texts)
	g := &group{
		Name: "encode", Texts: map[string][]string{"texts": t.docs, "queries": t.queries},
		Peer: "encode_store", PeerParams: encodePeerParams(c, dt),
		Setup: encodeSetup(c, dt), Fresh: true,
		Reference: func(*engine.Engine) error { return t.reference() },
	}
	encodeGroupSkips(c, g, dt)
	cs := &caseDef{
		Scenario: "encode_store", DType: dt, Size: fmt.Sprintf("%d texts, %d queries", c.Texts, c.TextQueries), Few: true,
		PeerOp: "encode_store", Texts: len(t.docs), Tokens: t.tokens,
	}
	ids := make([]int64, len(t.docs))
	for i := range ids {
		ids[i] = int64(i)
	}
	cs.Prepare = func(e *engine.Engine, state any) (*prepared, error) {
		m := state.(*encodeState).m
		stats := &pipelineStats{PeakBytes: -1}
		// pipeline runs it once and returns the store, open; hits, if
		// not nil, receives each query's hits (the checked run), else the
		// run's parts are recorded in stats (a timed run).
		pipeline := func(hits [][]store.Hit) (*store.Store, error) {
			base := resetPeak()
			t0 := time.Now()
			st, err := store.New(store.Options{Dim: m.Dim(), Metric: store.Cosine, DType: dt, Engine: e, Encoder: m})
			if err != nil {
				return nil, err
			}
			if err := st.AddTexts(ids, t.docs); err != nil {
				st.Close()
				return nil, err
			}
			add := time.Since(t0)
			var qms []float64
			for i, q := range t.queries {
				t1 := time.Now()
				h, err := st.SearchText(q, k)
				if err != nil {
					st.Close()
					return nil, err
				}
				qms = append(qms, float64(time.Since(t1).Nanoseconds())/1e6)
				if hits != nil {
					hits[i] = h
				}
			}
			if hits == nil { // a timed run
				stats.AddMS = append(stats.AddMS, float64(add.Nanoseconds())/1e6)
				stats.QueryMS = append(stats.QueryMS, qms...)
				stats.PeakBytes = max(stats.PeakBytes, peakSince(base))
			}
			return st, nil
		}
		p := &prepared{free: func() {}, plan: fmt.Sprintf("store.New + AddTexts + SearchText (k=%d) per query", k)}
		p.run = func(int) error {
			st, err := pipeline(nil)
			if err == nil {
				err = st.Close()
			}
			return err
		}
		p.output = func() ([]tensor, error) {
			hits := make([][]store.Hit, len(t.queries))
			st, err := pipeline(hits)
			if err != nil {
				return nil, err
			}
			defer st.Close()
			docs := tensor{Shape: []int{len(ids), m.Dim()}}
			for _, id := range ids {
				v, err := st.Get(id)
				if err != nil {
					return nil, err
				}
				docs.F32 = append(docs.F32, v...)
			}
			qv, err := m.Encode(t.queries)
			if err != nil {
				return nil, err
			}
			return append([]tensor{docs, matrix(qv, m.Dim())}, hitsTensors(hits, k)...), nil
		}
		p.extra = func() *pipelineStats { return stats }
		return p, nil
	}
	cs.Cosine = func(out []tensor) float64 { // out passed Check
		_, docs, _ := t.cosines(&out[0], 0, len(t.docs), 0)
		_, queries, _ := t.cosines(&out[1], len(t.docs), len(t.queries), 0)
		return min(docs, queries)
	}
	cs.Check = func(out []tensor) error {
		if len(out) != 4 {
			return fmt.Errorf("%d outputs, want 4 (stored vectors, query vectors, scores, ids)", len(out))
		}
		minCos := minCosineOf(dt)
		if err := t.cosineCheck(&out[0], 0, len(t.docs), minCos); err != nil {
			return fmt.Errorf("stored vectors: %w", err)
		}
		if err := t.cosineCheck(&out[1], len(t.docs), len(t.queries), minCos); err != nil {
			return fmt.Errorf("query vectors: %w", err)
		}
		shape := []int{len(t.queries), k}
		if err := checkShapes(out[2:], tensor{Shape: shape, F32: []float32{}}, tensor{Shape: shape, I64: []int64{}}); err != nil {
			return err
		}
		// The hits: the exact top k of each query's vector over the stored
		// vectors, in float64.
		sc := newScorer(&out[0], dt, store.Cosine)
		expect := make([][]float32, len(t.queries))
		for r := range expect {
			expect[r] = sc.topK(out[1].F32[r*t.dim:(r+1)*t.dim], k)
		}
		return searchCheck(sc, out[2:], &out[1], 0, expect, dt, k)
	}
	g.Cases = []*caseDef{cs}
	return g
}

// matrix turns rows of length d into a [len(rows), d] tensor.
func matrix(rows [][]float32, d int) tensor {
	t := tensor{Shape: []int{len(rows), d}, F32: make([]float32, 0, len(rows)*d)}
	for _, r := range rows {
		t.F32 = append(t.F32, r...)
	}
	return t
}

// pipelineStats are the parts of encode_store's timed runs.
type pipelineStats struct {
	AddMS     []float64 `json:"add_ms"`     // per run: store.New and encoding and adding every text
	QueryMS   []float64 `json:"query_ms"`   // per query of every run: encoding it and searching
	PeakBytes int64     `json:"peak_bytes"` // the largest growth of resident memory during a run (0: none), -1 if unknown
}

// setPipeline fills an encode_store row from its stats.
func (r *Result) setPipeline(s *pipelineStats, docs int) {
	if s == nil || len(s.AddMS) == 0 {
		return
	}
	add := summarize(s.AddMS)
	dps := float64(docs) / add.Median * 1e3
	r.DocsPerS, r.AddMS = &dps, &add.Median
	if len(s.QueryMS) > 0 {
		q := summarize(s.QueryMS)
		r.SearchMS, r.SearchP99MS = &q.Median, &q.P99
	}
	if s.PeakBytes >= 0 {
		r.PeakBytes = &s.PeakBytes
	}
}

// setRates fills an encode row's documents/s and tokens/s from its median.
func (r *Result) setRates(c *caseDef) {
	if c.Texts == 0 || r.MedianMS == nil || *r.MedianMS <= 0 || c.Scenario != "encode" {
		return
	}
	dps := float64(c.Texts) / *r.MedianMS * 1e3
	tps := float64(c.Tokens) / *r.MedianMS * 1e3
	r.DocsPerS, r.TokensPerS = &dps, &tps
}
