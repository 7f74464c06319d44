// Package tokenizer is BERT's tokenizer in pure Go: the token ids of
// Hugging Face tokenizers for the BERT family of sentence encoders
// (all-MiniLM, bge, e5), from the model directory's own files.
//
// # Files
//
// Load reads tokenizer.json (BertNormalizer, BertPreTokenizer, WordPiece,
// TemplateProcessing) or, without it, vocab.txt and tokenizer_config.json
// (do_lower_case, strip_accents, tokenize_chinese_chars). Tokenizers of
// other families are refused with an error naming the file and field.
//
// # Steps
//
// Encode runs what tokenizers runs:
//
//  1. Special tokens written in the text ("[CLS]", "[MASK]") are matched
//     as written, leftmost and longest first, and give their ids.
//  2. BertNormalizer on the rest: clean_text drops NUL, U+FFFD and
//     control and format characters and turns white space into spaces;
//     handle_chinese_chars puts spaces around CJK ideographs;
//     strip_accents (null: follow lowercase) decomposes to NFD and drops
//     non-spacing marks; lowercase lower-cases.
//  3. BertPreTokenizer: split at white space, punctuation (Unicode P and
//     ASCII's symbols) as words of its own.
//  4. WordPiece: each word as its longest vocabulary prefix, then
//     "##"-continuations, longest first; a word of more than
//     max_input_chars_per_word characters, or with a part that matches
//     nothing, is the unknown token alone.
//  5. The special prefix and suffix ([CLS], [SEP]) around the ids,
//     after truncation to maxTokens.
//
// sentence-transformers (6.x) calls the tokenizer with truncation
// "longest_first" at max_seq_length, which is Encode's maxTokens; when
// sentence_bert_config.json sets do_lower_case (false for all-MiniLM,
// bge, e5) it puts a Lowercase normalizer in front of BertNormalizer,
// which Encode does not model.
//
// Character classes come from the standard library's unicode tables,
// with the differences of the peer's older tables listed in unicode.go.
// NFD is golang.org/x/text/unicode/norm's.
//
// # Tests
//
// The tests compare every text of a corpus (the Debian fortunes packages,
// English, German and Chinese, with derived texts that add accents,
// controls, emoji and length) and every Unicode code point with the
// Python tokenizers package.
package tokenizer
