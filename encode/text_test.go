package encode

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"testing"

	"github.com/silica-go/silica/encode/tokenizer"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/internal/textcorpus"
)

// TestEncodeTexts encodes real text from the fortunes corpus (English,
// German, Chinese, with the derived texts: accents, controls, emoji,
// texts over 256 tokens, empty ones) with Encode, the tokenizer included,
// and compares with sentence-transformers given the same strings: the
// token ids it feeds its model, the cosine of every text and the top-10
// neighbours. The default run takes a sample; SILICA_EXHAUSTIVE=1 takes
// over 5,000 texts (every 13th fortune and every derived text).
func TestEncodeTexts(t *testing.T) {
	t.Parallel() // most of the time is Python starting: overlap it
	all, fortunes, err := textcorpus.Read()
	testenv.Need(t, "fortunes", err)
	dir := modelDir(t)
	step, derivedStep := 797, 61
	if testenv.Exhaustive() {
		step, derivedStep = 13, 1 // over 5,000 texts: 3,000 fortunes and every derived one
	}
	var texts []string
	for i := 0; i < fortunes; i += step {
		texts = append(texts, all[i])
	}
	for i := fortunes; i < len(all); i += derivedStep {
		texts = append(texts, all[i])
	}
	texts = append(texts, textcorpus.EdgeTexts...)
	in := filepath.Join(t.TempDir(), "texts.json")
	b, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ref.json")
	runPython(t, "file", in, out, dir)
	var ref reference
	if b, err = os.ReadFile(out); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Runs) != 1 || len(ref.Runs[0].Emb) != len(texts) || len(ref.Texts) != len(texts) {
		t.Fatalf("reference.py gave %d runs for %d texts", len(ref.Runs), len(texts))
	}
	m, err := Load(dir, Options{Engine: cpuEngine()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	long := 0
	for i, text := range texts {
		// json.Marshal replaces invalid UTF-8 with U+FFFD: compare what
		// the peer was given.
		ids := m.Tokenizer().Encode(ref.Texts[i], m.MaxTokens())
		if !slices.Equal(ids, ref.Runs[0].IDs[i]) {
			t.Fatalf("text %d %q: token ids %v; sentence-transformers feeds %v", i, text, ids, ref.Runs[0].IDs[i])
		}
		if len(ids) == m.MaxTokens() {
			long++
		}
	}
	got, err := m.Encode(ref.Texts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d texts (%d fortunes), %d truncated at %d tokens", len(texts), (fortunes+step-1)/step, long, m.MaxTokens())
	if long == 0 {
		t.Errorf("no text reached %d tokens: the truncation is untested", m.MaxTokens())
	}
	compare(t, fmt.Sprintf("%d fortunes corpus texts", len(texts)), got, ref.Runs[0].Emb, true)
}

// TestTokenizeParallel checks that the texts Encode tokenizes over
// several goroutines get the ids the tokenizer gives each alone, in
// their order: every 5th text of the corpus, on GOMAXPROCS 1 and 3.
func TestTokenizeParallel(t *testing.T) {
	corpus, _, err := textcorpus.Read()
	testenv.Need(t, "fortunes", err)
	var all []string // every 5th text: 9 chunks of tokenizeChunk texts
	for i := 0; i < len(corpus); i += 5 {
		all = append(all, corpus[i])
	}
	dir := os.Getenv("SILICA_MODEL_DIR") // .ci/setup.sh's; else ask Python
	if dir == "" {
		dir = modelDir(t)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, procs := range []int{1, 3} {
		prev := runtime.GOMAXPROCS(procs)
		got := tokenize(tok, all, 256)
		runtime.GOMAXPROCS(prev)
		if len(got) != len(all) {
			t.Fatalf("GOMAXPROCS %d: %d token lists for %d texts", procs, len(got), len(all))
		}
		for i, s := range all {
			if want := tok.Encode(s, 256); !slices.Equal(got[i], want) {
				t.Fatalf("GOMAXPROCS %d: text %d %q: ids %v, want %v", procs, i, s, got[i], want)
			}
		}
	}
}

// TestByLength checks the counting sort of EncodeIDs against a stable
// sort: texts of every length from 1 to the most, shuffled, equal
// lengths in their order.
func TestByLength(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for _, n := range []int{0, 1, 7, 3000} {
		texts := make([][]int32, n)
		for i := range texts {
			texts[i] = make([]int32, 1+rng.IntN(256))
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		sort.SliceStable(want, func(a, b int) bool { return len(texts[want[a]]) < len(texts[want[b]]) })
		if got := byLength(texts, 256); !slices.Equal(got, want) {
			t.Fatalf("%d texts: order %v, want %v", n, got[:min(n, 20)], want[:min(n, 20)])
		}
	}
}
