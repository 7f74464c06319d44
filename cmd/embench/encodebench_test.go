package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// fakeTexts gives c text inputs made up on the spot: random unit vectors
// as the reference of nd documents and nq queries of dimension d, so that
// the encode checks can be tested without a model or Python.
func fakeTexts(c *config, nd, nq, d int) *textData {
	r := rand.New(rand.NewPCG(7, 16))
	t := &textData{dim: d, model: "fake", tokens: 10 * nd}
	t.once.Do(func() {})
	t.refOnce.Do(func() {})
	t.ref = tensor{Shape: []int{nd + nq, d}}
	for i := range nd + nq {
		row := make([]float32, d)
		var n float64
		for j := range row {
			row[j] = float32(r.NormFloat64())
			n += float64(row[j]) * float64(row[j])
		}
		for j := range row {
			row[j] /= float32(math.Sqrt(n))
		}
		t.ref.F32 = append(t.ref.F32, row...)
		if i < nd {
			t.docs = append(t.docs, fmt.Sprint("doc ", i))
		} else {
			t.queries = append(t.queries, fmt.Sprint("query ", i))
		}
	}
	c.text, c.Texts, c.TextQueries = t, nd, nq
	return t
}

// rowsOfRef returns reference rows [lo, hi) as a tensor (a copy).
func rowsOfRef(t *textData, lo, hi int) tensor {
	return tensor{Shape: []int{hi - lo, t.dim}, F32: append([]float32(nil), t.ref.F32[lo*t.dim:hi*t.dim]...)}
}

// bend turns row i of x towards a random direction until its cosine with
// the original is about cos.
func bend(x *tensor, i int, cos float64) {
	d := x.cols()
	row := x.F32[i*d : (i+1)*d]
	r := rand.New(rand.NewPCG(uint64(i), 3))
	perp := make([]float64, d)
	var dot, n float64
	for j := range perp {
		perp[j] = r.NormFloat64()
		dot += perp[j] * float64(row[j])
	}
	for j := range perp {
		perp[j] -= dot * float64(row[j])
		n += perp[j] * perp[j]
	}
	s := math.Sqrt(1 - cos*cos)
	for j := range row {
		row[j] = float32(cos*float64(row[j]) + s*perp[j]/math.Sqrt(n))
	}
}

// TestEncodeCheck: the encode check accepts the reference's embeddings and
// ones within its cosine, and rejects a text below it, a NaN and a wrong
// shape; encode_store's check rejects a hit that is not among the top k.
func TestEncodeCheck(t *testing.T) {
	c, err := parseFlags([]string{"--k", "5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	td := fakeTexts(c, 40, 3, 16)
	check := encodeGroup(c, engine.Float32).Cases[0].Check
	good := rowsOfRef(td, 0, 40)
	if err := check([]tensor{good}); err != nil {
		t.Errorf("the reference itself: %v", err)
	}
	near := rowsOfRef(td, 0, 40)
	bend(&near, 3, 0.99995)
	if err := check([]tensor{near}); err != nil {
		t.Errorf("a text at cosine 0.99995: %v", err)
	}
	if got := encodeGroup(c, engine.Float32).Cases[0].Cosine([]tensor{near}); math.Abs(got-0.99995) > 1e-6 {
		t.Errorf("the lowest cosine of a run with a text at 0.99995 is reported as %v", got)
	}
	far := rowsOfRef(td, 0, 40)
	bend(&far, 17, 0.9998)
	if err := check([]tensor{far}); err == nil || !strings.Contains(err.Error(), "1 of 40 texts") || !strings.Contains(err.Error(), "text 17") {
		t.Errorf("a text at cosine 0.9998: %v", err)
	}
	nan := rowsOfRef(td, 0, 40)
	nan.F32[5] = float32(math.NaN())
	if err := check([]tensor{nan}); err == nil {
		t.Error("a NaN passed")
	}
	if err := check([]tensor{rowsOfRef(td, 0, 39)}); err == nil {
		t.Error("39 embeddings for 40 texts passed")
	}

	// encode_store: stored vectors, query vectors, and each query's exact
	// top 5 over the stored vectors.
	store := encodeStoreGroup(c, engine.Float32).Cases[0].Check
	docs, qs := rowsOfRef(td, 0, 40), rowsOfRef(td, 40, 43)
	vals := tensor{Shape: []int{3, 5}}
	idx := tensor{Shape: []int{3, 5}}
	sc := newScorer(&docs, engine.Float32, c.Metric)
	for q := range 3 {
		qq := sc.query(qs.F32[q*16 : (q+1)*16])
		type hit struct {
			i int
			s float64
		}
		var hs []hit
		buf := make([]float64, 16)
		for i := range 40 {
			hs = append(hs, hit{i, sc.score(qq, i, buf)})
		}
		for range 5 { // selection of the best five
			b := 0
			for j := range hs {
				if hs[j].s > hs[b].s {
					b = j
				}
			}
			vals.F32, idx.I64 = append(vals.F32, float32(hs[b].s)), append(idx.I64, int64(hs[b].i))
			hs = append(hs[:b], hs[b+1:]...)
		}
	}
	if err := store([]tensor{docs, qs, vals, idx}); err != nil {
		t.Errorf("the exact hits: %v", err)
	}
	// The fifth hit of query 1 replaced by a row outside the top 5, with
	// that row's true score.
	wrong := tensor{Shape: idx.Shape, I64: append([]int64(nil), idx.I64...)}
	wrongVals := tensor{Shape: vals.Shape, F32: append([]float32(nil), vals.F32...)}
	for i := range int64(40) {
		in := false
		for _, j := range idx.I64[5:10] {
			in = in || i == j
		}
		if !in {
			wrong.I64[9] = i
			wrongVals.F32[9] = float32(sc.score(sc.query(qs.F32[16:32]), int(i), make([]float64, 16)))
			break
		}
	}
	if err := store([]tensor{docs, qs, wrongVals, wrong}); err == nil {
		t.Error("a hit outside the top 5 passed")
	}
	bent := rowsOfRef(td, 40, 43)
	bend(&bent, 2, 0.999)
	if err := store([]tensor{docs, bent, vals, idx}); err == nil || !strings.Contains(err.Error(), "query vectors") {
		t.Errorf("a query vector at cosine 0.999: %v", err)
	}
}

// needEncodePeers skips (fails in CI) without the model, the corpus, and
// a Python with sentence-transformers and onnxruntime.
func needEncodePeers(t *testing.T, c *config) {
	t.Helper()
	py, err := findPython("cpu")
	if err == nil {
		defer py.close()
		for _, p := range encodePeers {
			if _, ok := py.mods[p]; !ok {
				err = fmt.Errorf("%s", py.why[p])
				break
			}
		}
	}
	testenv.Need(t, "onnxruntime", err) // and sentence-transformers: err names what is missing
	c.text = &textData{py: py}
	testenv.Need(t, "sentence-transformers", textsFor(c).err)
}

// TestEncodeScenarios runs both encode scenarios on the CPU backend and
// both peers at float32 and float16: each row verified against
// sentence-transformers and timed, with its rates, search times and peak
// memory; float16 skipped with reasons where it does not run (a CPU).
func TestEncodeScenarios(t *testing.T) {
	t.Parallel()
	c, err := parseFlags([]string{"--quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	needEncodePeers(t, c)
	code, rep, table := runJSON(t, "--quick", "--backend", "cpu", "--peers", "sentence-transformers,onnxruntime", "--torch-device", "cpu",
		"--texts", "12", "--text-queries", "2", "--k", "5", "--time", "1ms", "--scenario", "encode,encode_store")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, table)
	}
	got := map[string]bool{}
	for _, r := range rep.Results {
		got[r.Scenario+" "+r.Backend+" "+r.DType] = true
		if !r.Verified || r.Status != statusOK || r.MedianMS == nil || r.DocsPerS == nil || *r.DocsPerS <= 0 {
			t.Errorf("%s %s %s: verified %t, status %s, docs/s %v, error %q", r.Scenario, r.Backend, r.DType, r.Verified, r.Status, r.DocsPerS, r.Error)
		}
		switch r.Scenario {
		case "encode":
			if r.TokensPerS == nil || *r.TokensPerS < *r.DocsPerS*2 {
				t.Errorf("encode on %s: tokens/s %v for docs/s %v (each text has [CLS] and [SEP])", r.Backend, r.TokensPerS, r.DocsPerS)
			}
		case "encode_store":
			if r.SearchMS == nil || r.SearchP99MS == nil || *r.SearchMS > *r.MedianMS || r.AddMS == nil || *r.AddMS > *r.MedianMS {
				t.Errorf("encode_store on %s: search ms %v (p99 %v), add ms %v, total %v", r.Backend, r.SearchMS, r.SearchP99MS, r.AddMS, *r.MedianMS)
			}
			if r.PeakBytes == nil || *r.PeakBytes < 0 {
				t.Errorf("encode_store on %s: no peak memory", r.Backend)
			}
		}
	}
	for _, s := range []string{"encode", "encode_store"} {
		for _, b := range []string{"cpu", peerST, peerORT} {
			if !got[s+" "+b+" float32"] {
				t.Errorf("no %s row for %s at float32: %v", s, b, got)
			}
		}
	}
	if len(rep.Results) != 6 {
		t.Errorf("%d results, want 6", len(rep.Results))
	}
	skipped := map[string]bool{}
	for _, s := range rep.Skipped {
		skipped[s.Scenario+" "+s.Backend+" "+s.DType] = s.Reason != ""
	}
	for _, s := range []string{"encode", "encode_store"} {
		for _, b := range []string{"cpu", peerST, peerORT} {
			if !skipped[s+" "+b+" float16"] {
				t.Errorf("%s on %s at float16 neither ran nor was skipped with a reason: %v", s, b, rep.Skipped)
			}
		}
	}
	if rep.Config.Texts != 12 || rep.Config.PeerBatch != peerBatch || rep.Config.Model == "" {
		t.Errorf("config %+v", rep.Config)
	}
	if !strings.Contains(table, "### Encoding: 12 fortunes") || !strings.Contains(table, "| scenario | dtype | backend | median s | docs/s | tokens/s |") {
		t.Errorf("no encode table:\n%s", table)
	}
}

// TestEncodePeerWrongNotTimed gives both encode peers a wrong answer (one
// text's embedding negated) and a timing loop that fails: their encode
// rows must be wrong and untimed. The peers are a stand-in
// (testdata/fake_encode_peers.py) that loads no model: this is embench's
// rule, not the peers' code, which TestEncodeScenarios runs.
func TestEncodePeerWrongNotTimed(t *testing.T) {
	c, err := parseFlags([]string{"--quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	needEncodePeers(t, c)
	fake, err := os.ReadFile(filepath.Join("testdata", "fake_encode_peers.py"))
	if err != nil {
		t.Fatal(err)
	}
	orig := encodePeersScript
	defer func() { encodePeersScript = orig }()
	encodePeersScript = fake
	code, rep, table := runJSON(t, "--quick", "--backend", "none", "--peers", "sentence-transformers,onnxruntime", "--torch-device", "cpu",
		"--texts", "12", "--text-queries", "2", "--k", "5", "--dtypes", "float32", "--scenario", "encode,encode_store")
	if code != exitWrong {
		t.Errorf("exit %d, want %d:\n%s", code, exitWrong, table)
	}
	if len(rep.Results) != 4 {
		t.Fatalf("%d results, want 4 (two scenarios on two peers)", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Verified || r.Status != statusWrong || r.MedianMS != nil || r.DocsPerS != nil || !strings.Contains(r.Error, "1 of ") {
			t.Errorf("%s %s: verified %t, status %s, error %q: want wrong (one text) and untimed", r.Backend, r.Scenario, r.Verified, r.Status, r.Error)
		}
	}
}

// TestEncodeSelection: -scenario encode runs encode alone, encoder both
// encode scenarios, store none of them.
func TestEncodeSelection(t *testing.T) {
	for _, tc := range []struct {
		flag         string
		encode, pipe bool
	}{{"encode", true, false}, {"encode_store", false, true}, {"encoder", true, true}, {"store", false, false}, {"all", true, true}} {
		c, err := parseFlags([]string{"--scenario", tc.flag}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if e, p := c.selected(encoderTable, "encode"), c.selected(encoderTable, "encode_store"); e != tc.encode || p != tc.pipe {
			t.Errorf("-scenario %s: encode %t, encode_store %t; want %t, %t", tc.flag, e, p, tc.encode, tc.pipe)
		}
	}
}

// TestEncodeSample: past refDocs texts, --text-kind lines picks distinct
// documents and queries and a sorted sample of refDocs documents, and the
// encode check compares the sampled rows only, each with its own row of
// the reference.
func TestEncodeSample(t *testing.T) {
	c, err := parseFlags([]string{"--text-kind", "lines", "--texts", "2100", "--text-queries", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var td textData
	err = td.pick(c)
	testenv.Need(t, "fortunes", err)
	if len(td.docs) != 2100 || len(td.queries) != 3 || len(td.sample) != refDocs {
		t.Fatalf("%d docs, %d queries, a sample of %d; want 2100, 3, %d", len(td.docs), len(td.queries), len(td.sample), refDocs)
	}
	seen := map[string]bool{}
	for _, s := range append(slices.Clone(td.docs), td.queries...) {
		if seen[s] {
			t.Fatalf("%q twice", s)
		}
		seen[s] = true
	}
	for j := 1; j < len(td.sample); j++ {
		if td.sample[j] <= td.sample[j-1] || td.sample[j] >= 2100 {
			t.Fatalf("sample %v... not sorted, distinct and below 2100", td.sample[:j+1])
		}
	}

	// The check over a sample: the reference holds the sampled docs in
	// their order, then the queries.
	c, err = parseFlags([]string{"--k", "5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	full := fakeTexts(c, 50, 2, 8) // the reference of every doc
	all := rowsOfRef(full, 0, 50)
	sampled := &textData{dim: 8, docs: full.docs, queries: full.queries, sample: []int{3, 4, 20, 41}}
	for _, i := range append(slices.Clone(sampled.sample), 50, 51) {
		sampled.ref.F32 = append(sampled.ref.F32, full.ref.F32[i*8:(i+1)*8]...)
	}
	sampled.ref.Shape = []int{6, 8}
	if err := sampled.docsCheck(&all, 0.9999); err != nil {
		t.Errorf("the reference's own rows: %v", err)
	}
	off := rowsOfRef(full, 0, 50)
	bend(&off, 7, 0.5) // not in the sample
	if err := sampled.docsCheck(&off, 0.9999); err != nil {
		t.Errorf("a text outside the sample, bent: %v", err)
	}
	bend(&off, 20, 0.9) // in it
	if err := sampled.docsCheck(&off, 0.9999); err == nil || !strings.Contains(err.Error(), "1 of 4 texts checked") || !strings.Contains(err.Error(), "text 20") {
		t.Errorf("a sampled text bent: %v", err)
	}
	qs := rowsOfRef(full, 50, 52)
	if err := sampled.queriesCheck(&qs, 0.9999); err != nil {
		t.Errorf("the queries: %v", err)
	}
	bend(&qs, 1, 0.9)
	if err := sampled.queriesCheck(&qs, 0.9999); err == nil || !strings.Contains(err.Error(), "text 1") {
		t.Errorf("a query bent: %v", err)
	}
}
