package tokenizer

// wordPiece is the WordPiece model: greedy longest-match-first pieces of a
// word, continuation pieces written with a prefix ("##") in the
// vocabulary.
type wordPiece struct {
	// words maps every vocabulary entry to its id (a word's first
	// piece); conts maps the entries that start with the continuation
	// prefix, without it, to theirs (the later pieces); first and next
	// are the same as tries, for the matching.
	words, conts map[string]int32
	first, next  *trie
	unk          int32
	maxChars     int // max_input_chars_per_word
}

func newWordPiece(vocab map[string]int32, prefix string, unk int32, maxChars int) wordPiece {
	wp := wordPiece{words: vocab, conts: map[string]int32{}, unk: unk, maxChars: maxChars}
	for tok, id := range vocab {
		if len(tok) >= len(prefix) && tok[:len(prefix)] == prefix {
			wp.conts[tok[len(prefix):]] = id
		}
	}
	wp.first, wp.next = newTrie(wp.words), newTrie(wp.conts)
	return wp
}

// tokenize appends the ids of word (chars characters, normalized UTF-8)
// to ids: its pieces, or the unknown id alone when the word is longer
// than maxChars characters or some part of it matches no piece.
func (wp *wordPiece) tokenize(ids []int32, word []byte, chars int) []int32 {
	if chars > wp.maxChars {
		return append(ids, wp.unk)
	}
	n := len(ids)
	for start, t := 0, wp.first; start < len(word); t = wp.next {
		size, id, ok := t.longest(word[start:])
		if !ok {
			return append(ids[:n], wp.unk)
		}
		ids = append(ids, id)
		start += size
	}
	return ids
}
