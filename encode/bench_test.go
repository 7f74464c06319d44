package encode

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkEncode1000 encodes 1,000 standard-library docstrings (token
// ids from Hugging Face's tokenizer, truncated at 256) on the CPU backend
// and reports documents/s; `reference.py bench 1000 2` times
// sentence-transformers on the same texts.
func BenchmarkEncode1000(b *testing.B) {
	dir := modelDir(b)
	out := filepath.Join(b.TempDir(), "ids.json")
	runPython(b, "ids", "1000", "2", out)
	raw, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	var ref struct{ IDs [][]int32 }
	if err := json.Unmarshal(raw, &ref); err != nil {
		b.Fatal(err)
	}
	tokens := 0
	for _, ids := range ref.IDs {
		tokens += len(ids)
	}
	for _, budget := range []int{256, DefaultBatchTokens, 1024} {
		b.Run(fmt.Sprintf("budget=%d", budget), func(b *testing.B) {
			m, err := Load(dir, Options{Engine: cpuEngine(), BatchTokens: budget})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			b.ResetTimer()
			for range b.N {
				if _, err := m.EncodeIDs(ref.IDs); err != nil {
					b.Fatal(err)
				}
			}
			s := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(len(ref.IDs))/s, "docs/s")
			b.ReportMetric(float64(tokens)/s, "tokens/s")
		})
	}
}

// BenchmarkEncodeQuery encodes one text a call (four short ones and one
// of about 50 tokens, in turn), as a search by text does
// (store.SearchText), on the CPU backend.
func BenchmarkEncodeQuery(b *testing.B) {
	m, err := Load(modelDir(b), Options{Engine: cpuEngine()})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	queries := []string{
		"how do I reverse a list in place",
		"the weather tomorrow",
		"a fortune cookie says you will find what you lost",
		"exact nearest neighbour search on a GPU without Python",
		"Whenever you find yourself on the side of the majority, it is time to pause and reflect. " +
			"The reports of my death are greatly exaggerated, and so are the reports of this benchmark's speed.",
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := m.Encode(queries[i%len(queries) : i%len(queries)+1]); err != nil {
			b.Fatal(err)
		}
	}
}
