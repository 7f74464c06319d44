// Package textcorpus gives the tests of the text packages (the tokenizer,
// the encoder) one corpus of real text no one on the team wrote: the
// Debian packages fortunes, fortunes-de and fortunes-zh
// (.ci/setup.d/32-text.sh installs them), read where they are installed,
// never copied into the repository, plus texts derived from them that
// reach the edges of the tokenizer's rules.
package textcorpus

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// FortunesDir is where the Debian packages fortunes, fortunes-de and
// fortunes-zh put their texts (.ci/setup.d/32-text.sh installs them).
const FortunesDir = "/usr/share/games/fortunes"

// fortunesFiles are one file of each package, to check all three are
// installed.
var fortunesFiles = map[string]string{
	"fortunes":    "fortunes",
	"fortunes-de": "de/zitate",
	"fortunes-zh": "chinese",
}

// Read returns the corpus: every fortune of the installed packages
// (strfile files: texts between lines holding "%"; more than 39,000 in
// English, German and Chinese, some with terminal escapes and
// backspaces), then texts derived from them (decomposed accents, upper
// case, inserted controls, format characters and emoji, concatenations
// longer than 256 tokens) and a few edge strings (empty, white space
// only, special tokens written in the text, over-long words). texts[:fortunes]
// are the fortunes, the rest derived. A missing package is an error
// naming it and the apt-get line that installs it.
func Read() (texts []string, fortunes int, err error) {
	once.Do(func() { cache.texts, cache.fortunes, cache.err = read() })
	return cache.texts, cache.fortunes, cache.err
}

var (
	once  sync.Once
	cache struct {
		texts    []string
		fortunes int
		err      error
	}
)

func read() ([]string, int, error) {
	for pkg, f := range fortunesFiles {
		if _, err := os.Stat(filepath.Join(FortunesDir, f)); err != nil {
			return nil, 0, fmt.Errorf("Debian package %s: %v (apt-get install fortunes fortunes-de fortunes-zh)", pkg, err)
		}
	}
	var paths []string
	err := filepath.WalkDir(FortunesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Regular files only: the .u8 names are links to the same texts.
		if d.Type().IsRegular() && !strings.HasSuffix(p, ".dat") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	sort.Strings(paths)
	var fortunes []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, 0, err
		}
		fortunes = append(fortunes, strfile(string(data))...)
	}
	if len(fortunes) < 5000 {
		return nil, 0, errors.New("fewer than 5,000 fortunes under " + FortunesDir)
	}
	return append(fortunes, derived(fortunes)...), len(fortunes), nil
}

// strfile splits a fortune file into its texts.
func strfile(data string) []string {
	var texts []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(data, "\n") {
		if strings.TrimRight(line, "\r\n") == "%" {
			texts = append(texts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		texts = append(texts, cur.String())
	}
	return texts
}

// derived returns texts made from the fortunes that reach what plain
// fortunes rarely do.
func derived(fortunes []string) []string {
	rng := rand.New(rand.NewPCG(16, 2026))
	pick := func() string { return fortunes[rng.IntN(len(fortunes))] }
	var out []string
	// Accents decomposed (NFD) and composed, upper case (ß, accents).
	n := 0
	for _, f := range fortunes {
		if n < 400 && norm.NFD.String(f) != f {
			out = append(out, norm.NFD.String(f), strings.ToUpper(f))
			n++
		}
	}
	// Controls, format characters, odd white space, private use,
	// emoji (with skin tones, ZWJ sequences, flags, variation
	// selectors) inserted between characters.
	inserts := []string{"\x00", "\x07", "\b", "\x1b[1m", "\x7f", "\u0085", "\v", "\f",
		"\r\n", "\t", "\u00a0", "\u00ad", "\u200b", "\u200d", "\u2028", "\u3000",
		"\ufeff", "\ufffd", "\ue000", "\U000E0041", "\u0301", "\u0327", "\u3099",
		"🙂", "👍🏽", "👨\u200d👩\u200d👧", "🇩🇪", "❤️", "🥰", "🫠", "©", "™", "€", "½",
		"İ", "ǅ", "ﬁ", "Ⅻ", "①", "ẞ", "Σ", "ı", "\U0001D400", "\u0890", "\u2E52", "\U00011938"}
	for range 1200 {
		r := []rune(pick())
		for range 1 + rng.IntN(6) {
			i := rng.IntN(len(r) + 1)
			r = append(r[:i], append([]rune(inserts[rng.IntN(len(inserts))]), r[i:]...)...)
		}
		out = append(out, string(r))
	}
	// Longer than 256 tokens: 10 to 60 fortunes joined.
	for range 200 {
		var b strings.Builder
		for range 10 + rng.IntN(50) {
			b.WriteString(pick())
		}
		out = append(out, b.String())
	}
	return append(out, EdgeTexts...)
}

// EdgeTexts are inputs at the edges of the tokenizer's rules.
var EdgeTexts = []string{
	"", " ", "\t\n\r ", "\u3000\u00a0\u2003", "\x00\x01\u200b", "\ufffd",
	"[CLS]", "[SEP] [MASK]", "[UNK]x", "a[PAD]b", "[MASK][MASK]", "[ MASK ]", "[mask]", "[[SEP]]",
	strings.Repeat("a", 100), strings.Repeat("a", 101), strings.Repeat("é", 100), strings.Repeat("é", 101),
	strings.Repeat("ab", 300), strings.Repeat("x ", 600),
	"İstanbul ΣΑΣ ǄEMAL ﬁne", "e\u0301\u0327 \u1e09", "한국어 텍스트", "ガギグ パピプ", "Tiếng Việt có dấu",
	"שָׁלוֹם", "مَرْحَبًا", "नमस्ते", "ภาษาไทย", "日本語の文章です。", "中文，标点！",
	"\U00020000\U0002A700\U0002B740\U0002B920\U0002F800", "\u2F00\u3400\uF900",
	"$100+<tag>=^`|~ foo@bar.com #hash", "e.g. U.S.A. ... --- !!!",
	"unaffable unbelievable electroencephalography supercalifragilisticexpialidocious",
}

// Lines returns n distinct short documents for encoding at scale (the
// seed's scenario of a million documents): every distinct line of the
// fortunes (white space collapsed, trimmed, at least 8 bytes), in an
// order shuffled by seed, then as many distinct pairs of those lines
// joined by a space as n asks beyond them, picked by seed. Asking for
// more than the pairs can give is an error; so is a missing package, as
// for Read.
func Lines(n int, seed uint64) ([]string, error) {
	if n < 0 {
		return nil, fmt.Errorf("textcorpus: %d lines; want 0 or more", n)
	}
	all, fortunes, err := Read()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var lines []string
	for _, f := range all[:fortunes] {
		for _, l := range strings.Split(f, "\n") {
			l = strings.Join(strings.Fields(l), " ")
			if len(l) >= 8 && !seen[l] {
				seen[l] = true
				lines = append(lines, l)
			}
		}
	}
	if limit := len(lines) * (len(lines) - 1) / 4; n > limit {
		return nil, fmt.Errorf("textcorpus: %d lines asked; the fortunes give at most %d", n, limit)
	}
	rng := rand.New(rand.NewPCG(seed, 17))
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	out := lines[:min(n, len(lines)):min(n, len(lines))]
	for len(out) < n {
		a, b := lines[rng.IntN(len(lines))], lines[rng.IntN(len(lines))]
		if s := a + " " + b; a != b && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}
