package tokenizer

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// TestUnicodeAgainstHF: for every code point c of testCodePoints, the words of
// "x" + c + "x" after normalization and pre-tokenization equal those of
// tokenizers' BertNormalizer and BertPreTokenizer, under three
// normalizer configurations that between them turn each option on and
// off. This checks every character class of unicode.go, lower-casing and
// NFD on each code point.
func TestUnicodeAgainstHF(t *testing.T) {
	py := python(t)
	configs := []options{
		{cleanText: true, chinese: true, stripAccents: true, lowercase: true},
		{cleanText: true, chinese: true},
		{stripAccents: true},
		{lowercase: true},
	}
	var req []map[string]any
	for _, o := range configs {
		req = append(req, map[string]any{"clean_text": o.cleanText, "handle_chinese_chars": o.chinese,
			"strip_accents": o.stripAccents, "lowercase": o.lowercase})
	}
	cps := testCodePoints()
	var want []map[string][]string
	peer(t, py, map[string]any{"kind": "unicode", "configs": req, "code_points": cps}, nil, &want)
	if len(want) != len(configs) {
		t.Fatalf("peer returned %d configurations, want %d", len(want), len(configs))
	}
	for k, o := range configs {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			tk := &Tokenizer{norm: o}
			var b buffers
			var bad []string
			for _, c := range cps {
				s := "x" + string(c) + "x"
				var got []string
				tk.words(s, &b, func(w []byte, _ int) bool {
					got = append(got, string(w))
					return true
				})
				w, ok := want[k][strconv.Itoa(int(c))]
				if !ok {
					w = []string{s}
				}
				if !slices.Equal(got, w) {
					bad = append(bad, fmt.Sprintf("U+%04X: got %q, want %q", c, got, w))
				}
			}
			for i, m := range bad {
				if i == 40 {
					t.Errorf("... and %d more", len(bad)-i)
					break
				}
				t.Error(m)
			}
		})
	}
}

// testCodePoints returns every code point of planes 0 to 3 (all of
// Unicode's assigned characters but tags, variation selectors and
// private use) and of U+E0000 to U+E0FFF, one in 97 of the rest
// (unassigned and private use) and the last two of each plane, without
// the surrogates.
func testCodePoints() []rune {
	var cps []rune
	for c := rune(0); c < 0x110000; c++ {
		switch {
		case c >= 0xD800 && c <= 0xDFFF:
		case c < 0x40000, c >= 0xE0000 && c < 0xE1000, c%97 == 0, c&0xFFFE == 0xFFFE:
			cps = append(cps, c)
		}
	}
	return cps
}

// TestWordChars: words reports the characters tokenizers counts against
// max_input_chars_per_word, U+0130's lower case being two.
func TestWordChars(t *testing.T) {
	tk := &Tokenizer{norm: options{cleanText: true, chinese: true, lowercase: true}}
	var b buffers
	for s, want := range map[string][]int{"ab cde": {2, 3}, "İx": {3}, "é!": {1, 1}, "a\u0301": {2}, "中文": {1, 1}} {
		var got []int
		tk.words(s, &b, func(_ []byte, chars int) bool { got = append(got, chars); return true })
		if !slices.Equal(got, want) {
			t.Errorf("%q: chars %v, want %v", s, got, want)
		}
	}
}
