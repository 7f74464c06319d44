package tokenizer

import (
	"os"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// BenchmarkEncode encodes every text of the corpus with the model's
// tokenizer, truncated at 256 tokens as sentence-transformers does and
// untruncated, and reports tokens and texts per second (one goroutine).
//
//	go test -run '^$' -bench Encode ./encode/tokenizer
func BenchmarkEncode(b *testing.B) {
	texts := corpus(b)
	dir := os.Getenv("SILICA_MODEL_DIR")
	if dir == "" {
		dir = modelDir(b, python(b))
	}
	tk, err := Load(dir)
	testenv.Need(b, "all-MiniLM-L6-v2", err)
	bytes := 0
	for _, s := range texts {
		bytes += len(s)
	}
	for _, c := range []struct {
		name string
		max  int
	}{{"max256", 256}, {"untruncated", 0}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(bytes))
			tokens := 0
			for b.Loop() {
				for _, s := range texts {
					tokens += len(tk.Encode(s, c.max))
				}
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(tokens)/sec, "tokens/s")
			b.ReportMetric(float64(b.N*len(texts))/sec, "texts/s")
		})
	}
}
