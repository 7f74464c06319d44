package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
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

	// sample are the docs the reference holds, in its order: every doc
	// (nil), or with more than refDocs of them, refDocs picked by --seed.
	sample []int

	py *python // the interpreter that computes the reference (set by benchmark)
}

// refDocs is the most documents the reference encodes (sentence-transformers
// on the CPU, about 100 a second here): past it, each run's embeddings are
// checked on a sample of this many documents, the queries always in full.
const refDocs = 2000

// Text kinds of --text-kind.
const (
	textFortunes = "fortunes" // whole fortunes of internal/textcorpus (Read)
	textLines    = "lines"    // short documents: lines of the fortunes and pairs of them (textcorpus.Lines)
)

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
	if err := t.pick(c); err != nil {
		return err
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
	for _, ids := range m.Tokenize(t.docs) {
		t.tokens += len(ids)
	}
	if t.py == nil {
		return fmt.Errorf("no Python for the reference (sentence-transformers): %s", c.pythonWhy)
	}
	if _, ok := t.py.mods[peerST]; !ok {
		return fmt.Errorf("the reference is sentence-transformers on the CPU: %s", t.py.why[peerST])
	}
	return nil
}

// pick chooses the documents and queries of --text-kind, and the docs the
// reference checks.
func (t *textData) pick(c *config) error {
	n := c.Texts + c.TextQueries
	var all []string
	switch c.TextKind {
	case textLines:
		lines, err := textcorpus.Lines(n, c.Seed)
		if err != nil {
			return err
		}
		all = lines
	default:
		texts, fortunes, err := textcorpus.Read()
		if err != nil {
			return err
		}
		if n > fortunes {
			return fmt.Errorf("-texts %d and -text-queries %d ask for %d texts; the corpus has %d fortunes (--text-kind lines gives millions)", c.Texts, c.TextQueries, n, fortunes)
		}
		all = texts[:fortunes]
	}
	order := rand.New(rand.NewPCG(c.Seed, 16)).Perm(len(all))
	t.docs = make([]string, c.Texts)
	for j, i := range order[:c.Texts] {
		t.docs[j] = all[i]
	}
	for _, i := range order[c.Texts:n] {
		t.queries = append(t.queries, all[i])
	}
	if c.Texts > refDocs {
		t.sample = rand.New(rand.NewPCG(c.Seed, 17)).Perm(c.Texts)[:refDocs]
		slices.Sort(t.sample)
	}
	return nil
}

// refDocCount is the number of documents the reference holds.
func (t *textData) refDocCount() int {
	if t.sample != nil {
		return len(t.sample)
	}
	return len(t.docs)
}

// docRow returns the document of row j of the reference.
func (t *textData) docRow(j int) int {
	if t.sample != nil {
		return t.sample[j]
	}
	return j
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
		texts := make([]string, 0, t.refDocCount()+len(t.queries))
		for j := range t.refDocCount() {
			texts = append(texts, t.docs[t.docRow(j)])
		}
		paths, err := t.py.texts(map[string][]string{"ref": append(texts, t.queries...)})
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
		if err == nil && (len(t.ref.Shape) != 2 || t.ref.rows() != len(texts)+len(t.queries) || t.ref.cols() != t.dim) {
			err = fmt.Errorf("the reference is %s, want [%d %d]", &t.ref, len(texts)+len(t.queries), t.dim)
		}
		t.refErr = err
	})
	return t.refErr
}

// docsCheck checks that got holds a row for every document, each that the
// reference holds with a cosine of at least minCos with its row.
func (t *textData) docsCheck(got *tensor, minCos float64) error {
	return t.cosineCheck(got, len(t.docs), false, minCos)
}

// queriesCheck is docsCheck for the queries.
func (t *textData) queriesCheck(got *tensor, minCos float64) error {
	return t.cosineCheck(got, len(t.queries), true, minCos)
}

// cosineCheck checks that got holds n rows (the documents', or with
// queries the queries'), each that the reference holds with a cosine of
// at least minCos with its row.
func (t *textData) cosineCheck(got *tensor, n int, queries bool, minCos float64) error {
	d := t.dim
	if len(got.Shape) != 2 || got.rows() != n || got.cols() != d || len(got.F32) != n*d {
		return fmt.Errorf("embeddings %s, want [%d %d]", got, n, d)
	}
	checked, bad, worst, worstAt := t.cosines(got, queries, minCos)
	if bad > 0 {
		return fmt.Errorf("%d of %d texts checked have a cosine below %g with sentence-transformers' embedding; the worst, text %d, %.6f", bad, checked, minCos, worstAt, worst)
	}
	return nil
}

// cosines compares the rows of got (the documents', or with queries the
// queries') that the reference holds with its rows: how many it checked,
// how many have a cosine below minCos (NaN counts), and the lowest cosine
// and its row of got. got must hold a row of the reference's width for
// every text.
func (t *textData) cosines(got *tensor, queries bool, minCos float64) (checked, bad int, worst float64, worstAt int) {
	d := t.dim
	worst, worstAt = 2.0, -1
	n, first := t.refDocCount(), 0
	if queries {
		n, first = len(t.queries), t.refDocCount()
	}
	for j := range n {
		i := j
		if !queries {
			i = t.docRow(j)
		}
		c := cosine64(got.F32[i*d:(i+1)*d], t.ref.F32[(first+j)*d:(first+j+1)*d])
		if !(c >= minCos) { // NaN fails
			bad++
		}
		if !(c >= worst) {
			worst, worstAt = c, i
		}
	}
	return n, bad, worst, worstAt
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
func encodeSize(c *config) string { return fmt.Sprintf("%d %s", c.Texts, textNoun(c)) }

// textNoun names the texts of --text-kind in a size column.
func textNoun(c *config) string {
	if c.TextKind == textLines {
		return "lines"
	}
	return "texts"
}

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
		return t.docsCheck(&out[0], minCosineOf(dt))
	}
	cs.Cosine = func(out []tensor) float64 { // out passed Check
		_, _, worst, _ := t.cosines(&out[0], false, 0)
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
		Scenario: "encode_store", DType: dt, Size: fmt.Sprintf("%d %s, %d queries", c.Texts, textNoun(c), c.TextQueries), Few: true,
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
			docs, err := storedRows(st, len(ids))
			if err != nil {
				return nil, err
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
		_, _, docs, _ := t.cosines(&out[0], false, 0)
		_, _, queries, _ := t.cosines(&out[1], true, 0)
		return min(docs, queries)
	}
	cs.Check = func(out []tensor) error {
		if len(out) != 4 {
			return fmt.Errorf("%d outputs, want 4 (stored vectors, query vectors, scores, ids)", len(out))
		}
		minCos := minCosineOf(dt)
		if err := t.docsCheck(&out[0], minCos); err != nil {
			return fmt.Errorf("stored vectors: %w", err)
		}
		if err := t.queriesCheck(&out[1], minCos); err != nil {
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

// storedRows returns the vectors st holds under ids 0..n-1, row i the
// vector of id i, read back through WriteTo in one stream (a Get per id
// costs a device round trip: minutes for a million rows).
func storedRows(st *store.Store, n int) (tensor, error) {
	var buf bytes.Buffer
	if _, err := st.WriteTo(&buf); err != nil {
		return tensor{}, err
	}
	var x, ids tensor
	var haveX, haveIDs bool
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return tensor{}, fmt.Errorf("the store's stream: %w", err)
		}
		switch h.Name {
		case store.EmbeddingsFile:
			x, err = parseNPY(tr)
			haveX = true
		case store.IDsFile:
			ids, err = parseNPY(tr)
			haveIDs = true
		}
		if err != nil {
			return tensor{}, fmt.Errorf("the store's %s: %w", h.Name, err)
		}
	}
	d := st.Dim()
	if !haveX || !haveIDs || len(x.Shape) != 2 || x.rows() != n || x.cols() != d || len(ids.I64) != n {
		return tensor{}, fmt.Errorf("the store's stream holds %s vectors and %d ids; want [%d %d] and %d", &x, len(ids.I64), n, d, n)
	}
	out := tensor{Shape: []int{n, d}, F32: make([]float32, n*d)}
	seen := make([]bool, n)
	for r, id := range ids.I64 {
		if id < 0 || id >= int64(n) || seen[id] {
			return tensor{}, fmt.Errorf("the store's stream holds id %d at row %d; want each of 0..%d once", id, r, n-1)
		}
		seen[id] = true
		copy(out.F32[int(id)*d:(int(id)+1)*d], x.F32[r*d:(r+1)*d])
	}
	return out, nil
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
