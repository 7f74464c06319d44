package tokenizer

import "unicode/utf8"

// wordPiece is the WordPiece model: greedy longest-match-first pieces of a
// word, continuation pieces written with a prefix ("##") in the
// vocabulary.
type wordPiece struct {
	// words maps every vocabulary entry to its id (a word's first
	// piece); conts maps the entries that start with the continuation
	// prefix, without it, to theirs (the later pieces).
	words, conts map[string]int32
	// maxWord and maxCont are the longest keys of words and conts in
	// bytes: longer candidates are not looked up.
	maxWord, maxCont int
	unk              int32
	maxChars         int // max_input_chars_per_word
}

func newWordPiece(vocab map[string]int32, prefix string, unk int32, maxChars int) wordPiece {
	wp := wordPiece{words: vocab, conts: map[string]int32{}, unk: unk, maxChars: maxChars}
	for tok, id := range vocab {
		wp.maxWord = max(wp.maxWord, len(tok))
		if len(tok) >= len(prefix) && tok[:len(prefix)] == prefix {
			c := tok[len(prefix):]
			wp.conts[c] = id
			wp.maxCont = max(wp.maxCont, len(c))
		}
	}
	return wp
}

// tokenize appends the ids of word (chars characters, normalized UTF-8)
// to ids: its pieces, or the unknown id alone when the word is longer
// than maxChars characters or some part of it matches no piece.
func (wp *wordPiece) tokenize(ids []int32, word []byte, chars int) []int32 {
	if chars > wp.maxChars {
		return append(ids, wp.unk)
	}
	first := len(ids)
	for start := 0; start < len(word); {
		m, longest := wp.words, wp.maxWord
		if start > 0 {
			m, longest = wp.conts, wp.maxCont
		}
		end := min(len(word), start+longest)
		for end < len(word) && !utf8.RuneStart(word[end]) {
			end--
		}
		id, found := int32(0), false
		for end > start {
			if id, found = m[string(word[start:end])]; found {
				break
			}
			_, size := utf8.DecodeLastRune(word[start:end])
			end -= size
		}
		if !found {
			return append(ids[:first], wp.unk)
		}
		ids = append(ids, id)
		start = end
	}
	return ids
}
