package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Character classes as Hugging Face tokenizers' BertNormalizer and
// BertPreTokenizer see them. They come from the standard library's
// Unicode 15 tables, corrected where the peer differs:
//
//   - control (clean_text), punctuation (the pre-tokenizer) and
//     non-spacing marks (strip_accents) come, in tokenizers, from the Rust
//     crate unicode_categories, whose tables are Unicode 8's: code points
//     given those categories since Unicode 9 are not controls, punctuation
//     or marks to it, and three code points changed category since;
//   - lower-casing comes from Rust's char::to_lowercase (Unicode 16 in
//     tokenizers 0.23): U+0130 lowers to "i" and U+0307, and Unicode 16
//     added the lower-case mappings in lowerUnicode16;
//   - U+11938 has a canonical decomposition in x/text's NFD table (since
//     Unicode 13) that the peer's NFD does not apply.
//
// TestUnicodeAgainstHF checks every code point against the installed
// tokenizers package and prints the code points that differ, should a
// later release move to newer tables.

// isChinese reports whether r is in the CJK blocks BERT surrounds with
// spaces (the ranges of BERT's _is_chinese_char, as in tokenizers).
func isChinese(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF,
		r >= 0x3400 && r <= 0x4DBF,
		r >= 0x20000 && r <= 0x2A6DF,
		r >= 0x2A700 && r <= 0x2B73F,
		r >= 0x2B740 && r <= 0x2B81F,
		r >= 0x2B920 && r <= 0x2CEAF,
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0x2F800 && r <= 0x2FA1F:
		return true
	}
	return false
}

// isWhitespace reports whether r is White_Space (Rust's
// char::is_whitespace and Go's unicode.IsSpace agree on every code point).
func isWhitespace(r rune) bool {
	if r < 0x80 {
		return asciiClass[r]&classSpace != 0
	}
	return unicode.IsSpace(r)
}

// isControl reports whether clean_text removes r: categories Cc, Cf and
// Co except tab, newline and carriage return (those become spaces).
func isControl(r rune) bool {
	if r < 0x80 {
		return asciiClass[r]&classControl != 0
	}
	if unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cc, r) {
		return true
	}
	return unicode.Is(unicode.Cf, r) && !unicode.Is(cfSince9, r)
}

// isPunct reports whether the pre-tokenizer isolates r: ASCII punctuation
// (which includes the symbols $+<=>^`|~) or Unicode category P.
func isPunct(r rune) bool {
	if r < 0x80 {
		return asciiClass[r]&classPunct != 0
	}
	if unicode.IsPunct(r) {
		return !unicode.Is(punctSince9, r)
	}
	return r == 0x166D || r == 0x111C9
}

// isMn reports whether strip_accents removes r (category Mn).
func isMn(r rune) bool {
	if r < 0x80 {
		return false
	}
	if unicode.Is(unicode.Mn, r) {
		return !unicode.Is(mnSince9, r)
	}
	return r == 0x1734
}

// lower appends the lower case of r to b, as Rust's char::to_lowercase.
func lower(b []byte, r rune) []byte {
	switch {
	case r < 0x80:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(b, byte(r))
	case r == 0x130:
		return append(b, "i\u0307"...)
	}
	if l, ok := lowerUnicode16[r]; ok {
		return utf8.AppendRune(b, l)
	}
	switch {
	case r >= 0x10D50 && r <= 0x10D65:
		return utf8.AppendRune(b, r+0x20)
	case r >= 0x16EA0 && r <= 0x16EB8:
		return utf8.AppendRune(b, r+0x1B)
	}
	return utf8.AppendRune(b, unicode.ToLower(r))
}

// lowerUnicode16 holds the single lower-case mappings Unicode 16 added
// (outside the two ranges handled in lower).
var lowerUnicode16 = map[rune]rune{
	0x1C89: 0x1C8A, 0xA7CB: 0x0264, 0xA7CC: 0xA7CD, 0xA7CE: 0xA7CF,
	0xA7D2: 0xA7D3, 0xA7D4: 0xA7D5, 0xA7DA: 0xA7DB, 0xA7DC: 0x019B,
}

// ASCII classes, looked up before any table: bit flags, as \v and \f
// are both White_Space and Cc (clean_text removes them; the pre-tokenizer
// splits on them when clean_text is off).
const (
	classSpace uint8 = 1 << iota
	classControl
	classPunct
)

var asciiClass = func() (c [0x80]uint8) {
	for r := rune(0); r < 0x80; r++ {
		if unicode.IsSpace(r) {
			c[r] |= classSpace
		}
		if (r < 0x20 || r == 0x7F) && r != '\t' && r != '\n' && r != '\r' {
			c[r] |= classControl
		}
		if unicode.IsPunct(r) || unicode.IsSymbol(r) {
			c[r] |= classPunct
		}
	}
	return c
}()

// cfSince9 are the code points of category Cf in Unicode 15 that were
// not Cf in Unicode 8.
var cfSince9 = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x0890, 0x0891, 1}, {0x08E2, 0x08E2, 1},
	},
	R32: []unicode.Range32{
		{0x110CD, 0x110CD, 1}, {0x13430, 0x1343F, 1},
	},
}

// punctSince9 are the code points of category P in Unicode 15 that were
// not P in Unicode 8.
var punctSince9 = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x061D, 0x061D, 1}, {0x09FD, 0x09FD, 1}, {0x0A76, 0x0A76, 1},
		{0x0C77, 0x0C77, 1}, {0x0C84, 0x0C84, 1}, {0x1B7D, 0x1B7E, 1},
		{0x2E43, 0x2E4F, 1}, {0x2E52, 0x2E5D, 1},
	},
	R32: []unicode.Range32{
		{0x10EAD, 0x10EAD, 1}, {0x10F55, 0x10F59, 1}, {0x10F86, 0x10F89, 1},
		{0x1144B, 0x1144F, 1}, {0x1145A, 0x1145B, 1}, {0x1145D, 0x1145D, 1},
		{0x11660, 0x1166C, 1}, {0x116B9, 0x116B9, 1}, {0x1183B, 0x1183B, 1},
		{0x11944, 0x11946, 1}, {0x119E2, 0x119E2, 1}, {0x11A3F, 0x11A46, 1},
		{0x11A9A, 0x11A9C, 1}, {0x11A9E, 0x11AA2, 1}, {0x11B00, 0x11B09, 1},
		{0x11C41, 0x11C45, 1}, {0x11C70, 0x11C71, 1}, {0x11EF7, 0x11EF8, 1},
		{0x11F43, 0x11F4F, 1}, {0x11FFF, 0x11FFF, 1}, {0x12FF1, 0x12FF2, 1},
		{0x16E97, 0x16E9A, 1}, {0x16FE2, 0x16FE2, 1}, {0x1E95E, 0x1E95F, 1},
	},
}

// mnSince9 are the code points of category Mn in Unicode 15 that were
// not Mn in Unicode 8.
var mnSince9 = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x07FD, 0x07FD, 1}, {0x0898, 0x089F, 1}, {0x08CA, 0x08E1, 1},
		{0x09FE, 0x09FE, 1}, {0x0AFA, 0x0AFF, 1}, {0x0B55, 0x0B55, 1},
		{0x0C04, 0x0C04, 1}, {0x0C3C, 0x0C3C, 1}, {0x0D00, 0x0D00, 1},
		{0x0D3B, 0x0D3C, 1}, {0x0D81, 0x0D81, 1}, {0x0EBA, 0x0EBA, 1},
		{0x0ECE, 0x0ECE, 1}, {0x180F, 0x180F, 1}, {0x1885, 0x1886, 1},
		{0x1ABF, 0x1ACE, 1}, {0x1DF6, 0x1DFB, 1}, {0xA82C, 0xA82C, 1},
		{0xA8C5, 0xA8C5, 1}, {0xA8FF, 0xA8FF, 1}, {0xA9BD, 0xA9BD, 1},
	},
	R32: []unicode.Range32{
		{0x10D24, 0x10D27, 1}, {0x10EAB, 0x10EAC, 1}, {0x10EFD, 0x10EFF, 1},
		{0x10F46, 0x10F50, 1}, {0x10F82, 0x10F85, 1}, {0x11070, 0x11070, 1},
		{0x11073, 0x11074, 1}, {0x110C2, 0x110C2, 1}, {0x111C9, 0x111C9, 1},
		{0x111CF, 0x111CF, 1}, {0x1123E, 0x1123E, 1}, {0x11241, 0x11241, 1},
		{0x1133B, 0x1133B, 1}, {0x11438, 0x1143F, 1}, {0x11442, 0x11444, 1},
		{0x11446, 0x11446, 1}, {0x1145E, 0x1145E, 1}, {0x1182F, 0x11837, 1},
		{0x11839, 0x1183A, 1}, {0x1193B, 0x1193C, 1}, {0x1193E, 0x1193E, 1},
		{0x11943, 0x11943, 1}, {0x119D4, 0x119D7, 1}, {0x119DA, 0x119DB, 1},
		{0x119E0, 0x119E0, 1}, {0x11A01, 0x11A0A, 1}, {0x11A33, 0x11A38, 1},
		{0x11A3B, 0x11A3E, 1}, {0x11A47, 0x11A47, 1}, {0x11A51, 0x11A56, 1},
		{0x11A59, 0x11A5B, 1}, {0x11A8A, 0x11A96, 1}, {0x11A98, 0x11A99, 1},
		{0x11C30, 0x11C36, 1}, {0x11C38, 0x11C3D, 1}, {0x11C3F, 0x11C3F, 1},
		{0x11C92, 0x11CA7, 1}, {0x11CAA, 0x11CB0, 1}, {0x11CB2, 0x11CB3, 1},
		{0x11CB5, 0x11CB6, 1}, {0x11D31, 0x11D36, 1}, {0x11D3A, 0x11D3A, 1},
		{0x11D3C, 0x11D3D, 1}, {0x11D3F, 0x11D45, 1}, {0x11D47, 0x11D47, 1},
		{0x11D90, 0x11D91, 1}, {0x11D95, 0x11D95, 1}, {0x11D97, 0x11D97, 1},
		{0x11EF3, 0x11EF4, 1}, {0x11F00, 0x11F01, 1}, {0x11F36, 0x11F3A, 1},
		{0x11F40, 0x11F40, 1}, {0x11F42, 0x11F42, 1}, {0x13440, 0x13440, 1},
		{0x13447, 0x13455, 1}, {0x16F4F, 0x16F4F, 1}, {0x16FE4, 0x16FE4, 1},
		{0x1CF00, 0x1CF2D, 1}, {0x1CF30, 0x1CF46, 1}, {0x1E000, 0x1E006, 1},
		{0x1E008, 0x1E018, 1}, {0x1E01B, 0x1E021, 1}, {0x1E023, 0x1E024, 1},
		{0x1E026, 0x1E02A, 1}, {0x1E08F, 0x1E08F, 1}, {0x1E130, 0x1E136, 1},
		{0x1E2AE, 0x1E2AE, 1}, {0x1E2EC, 0x1E2EF, 1}, {0x1E4EC, 0x1E4EF, 1},
		{0x1E944, 0x1E94A, 1},
	},
}
