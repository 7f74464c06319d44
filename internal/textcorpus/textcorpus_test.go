package textcorpus

import (
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestLines checks the short documents: n of them, distinct, trimmed,
// the same for the same seed and another order for another, lines first
// and pairs of lines beyond them, and a clear error past the limit.
func TestLines(t *testing.T) {
	_, _, err := Read()
	testenv.Need(t, "fortunes", err)
	one, err := Lines(0, 1)
	if err != nil || len(one) != 0 {
		t.Fatalf("Lines(0): %d texts, %v", len(one), err)
	}
	// More than the distinct lines, so that pairs are made too.
	all, err := Lines(200_001, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 200_001 {
		t.Fatalf("Lines(200001): %d texts", len(all))
	}
	seen := map[string]bool{}
	pairs := 0
	for i, s := range all {
		if seen[s] {
			t.Fatalf("text %d %q repeats", i, s)
		}
		seen[s] = true
		if len(s) < 8 || s != strings.Join(strings.Fields(s), " ") {
			t.Fatalf("text %d %q: want at least 8 bytes, white space collapsed", i, s)
		}
	}
	// The first texts are single lines: each is a line of some fortune.
	lines := map[string]bool{}
	fortunes, n, _ := Read()
	for _, f := range fortunes[:n] {
		for _, l := range strings.Split(f, "\n") {
			lines[strings.Join(strings.Fields(l), " ")] = true
		}
	}
	for i, s := range all {
		if !lines[s] {
			pairs = len(all) - i
			break
		}
	}
	if pairs == 0 || pairs == len(all) {
		t.Fatalf("%d of %d texts are pairs of lines; want the lines first, then pairs", pairs, len(all))
	}
	for _, s := range all[len(all)-pairs:] {
		if lines[s] {
			t.Fatalf("%q, a single line, among the pairs", s)
		}
	}
	again, err := Lines(1000, 7)
	if err != nil || !slices.Equal(again, all[:1000]) {
		t.Fatalf("Lines(1000, 7) is not the first 1000 of Lines(200001, 7) (%v)", err)
	}
	other, err := Lines(1000, 8)
	if err != nil || slices.Equal(other, again) {
		t.Fatalf("seeds 7 and 8 give the same texts (%v)", err)
	}
	if _, err := Lines(1<<40, 7); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("Lines(2^40): %v; want an error saying the most it gives", err)
	}
	if _, err := Lines(-1, 7); err == nil {
		t.Fatal("Lines(-1): no error")
	}
}

// TestMain prints the package's skip line after its tests (testenv.Main).
func TestMain(m *testing.M) { testenv.Main(m) }
