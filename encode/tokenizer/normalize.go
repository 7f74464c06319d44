package tokenizer

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// segment appends the ids of s, a piece of text without special tokens,
// to ids: BertNormalizer, BertPreTokenizer, then WordPiece on each word.
// It stops once ids has stop entries (stop < 0: never).
//
// When it may stop early it normalizes s in chunks of about chunkBytes,
// cut after an ASCII space or newline: no step joins characters across
// white space (NFD reorders marks only between starters), so the words
// are those of s whole.
func (t *Tokenizer) segment(ids []int32, s string, b *buffers, stop int) []int32 {
	more := func(w []byte, chars int) bool {
		ids = t.vocab.tokenize(ids, w, chars)
		return stop < 0 || len(ids) < stop
	}
	for s != "" && (stop < 0 || len(ids) < stop) {
		cut := len(s)
		if stop >= 0 && len(s) > 2*chunkBytes {
			if j := strings.IndexAny(s[chunkBytes:], " \n"); j >= 0 {
				cut = chunkBytes + j + 1
			}
		}
		t.words(s[:cut], b, more)
		s = s[cut:]
	}
	return ids
}

// chunkBytes is the size of segment's chunks: a few hundred tokens of
// text.
const chunkBytes = 2048

// words calls word with each word of s in order, normalized
// (BertNormalizer: clean_text, handle_chinese_chars, strip_accents,
// lowercase, in that order) and split (BertPreTokenizer: at white space,
// punctuation as a word of its own), with its number of characters,
// until word returns false. The word's bytes are valid until word
// returns.
func (t *Tokenizer) words(s string, b *buffers, word func(w []byte, chars int) bool) {
	// Pass 1: clean_text and handle_chinese_chars.
	n := b.norm[:0]
	ascii := true
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		if t.norm.cleanText {
			if r == 0 || r == utf8.RuneError || isControl(r) {
				continue
			}
			if isWhitespace(r) {
				r = ' '
			}
		}
		if r < utf8.RuneSelf {
			n = append(n, byte(r))
			continue
		}
		ascii = false
		if t.norm.chinese && isChinese(r) {
			n = append(n, ' ')
			n = utf8.AppendRune(n, r)
			n = append(n, ' ')
			continue
		}
		n = utf8.AppendRune(n, r)
	}
	b.norm = n
	// strip_accents: NFD, then pass 2 drops the non-spacing marks.
	if t.norm.stripAccents && !ascii {
		b.nfd = nfd(b.nfd[:0], n)
		n = b.nfd
	}
	// Pass 2: strip_accents' filter, lowercase, pre-tokenizer.
	w := b.word[:0]
	defer func() { b.word = w }()
	chars := 0
	more := true
	flush := func() {
		if len(w) > 0 && more {
			more = word(w, chars)
		}
		w, chars = w[:0], 0
	}
	for i := 0; i < len(n) && more; {
		r, size := rune(n[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(n[i:])
		}
		i += size
		if t.norm.stripAccents && isMn(r) {
			continue
		}
		if isWhitespace(r) {
			flush()
			continue
		}
		if isPunct(r) {
			flush()
			w, chars = t.appendChar(w, chars, r)
			flush()
			continue
		}
		w, chars = t.appendChar(w, chars, r)
	}
	flush()
}

// nfd appends the NFD form of s to dst, as the peer's NFD: U+11938 has
// no decomposition there (see unicode.go). It is a starter, so the text
// around it decomposes on its own.
func nfd(dst, s []byte) []byte {
	const keep = "\U00011938"
	for {
		i := bytes.Index(s, []byte(keep))
		if i < 0 {
			return norm.NFD.Append(dst, s...)
		}
		dst = append(norm.NFD.Append(dst, s[:i]...), keep...)
		s = s[i+len(keep):]
	}
}

// appendChar appends r to the word w of chars characters, lower-cased
// when the normalizer lower-cases.
func (t *Tokenizer) appendChar(w []byte, chars int, r rune) ([]byte, int) {
	if !t.norm.lowercase {
		return utf8.AppendRune(w, r), chars + 1
	}
	if r == 0x130 {
		return lower(w, r), chars + 2
	}
	return lower(w, r), chars + 1
}
