package tokenizer

import (
	"testing"

	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/internal/textcorpus"
)

// corpus returns the test texts (textcorpus.Read), skipping the test when
// a package is missing.
func corpus(t testing.TB) []string {
	texts, _, err := textcorpus.Read()
	testenv.Need(t, "fortunes", err)
	return texts
}

// sampleCorpus returns one fortune in every step and every derived text.
func sampleCorpus(t testing.TB, step int) []string {
	all := corpus(t)
	_, fortunes, _ := textcorpus.Read()
	var texts []string
	for i := 0; i < fortunes; i += step {
		texts = append(texts, all[i])
	}
	return append(texts, all[fortunes:]...)
}
