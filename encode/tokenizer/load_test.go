package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tinyJSON returns a small BERT tokenizer.json as a map for tests to
// edit.
func tinyJSON() map[string]any {
	vocab := map[string]any{}
	for i, tok := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "a", "##a", "!", "über"} {
		vocab[tok] = i
	}
	special := func(id int, content string) map[string]any {
		return map[string]any{"id": id, "content": content, "special": true, "normalized": false,
			"lstrip": false, "rstrip": false, "single_word": false}
	}
	return map[string]any{
		"version":    "1.0",
		"truncation": nil,
		"padding":    nil,
		"added_tokens": []any{special(0, "[PAD]"), special(1, "[UNK]"), special(2, "[CLS]"),
			special(3, "[SEP]"), special(4, "[MASK]")},
		"normalizer": map[string]any{"type": "BertNormalizer", "clean_text": true,
			"handle_chinese_chars": true, "strip_accents": nil, "lowercase": false},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 0}},
			},
			"special_tokens": map[string]any{
				"[CLS]": map[string]any{"id": "[CLS]", "ids": []int{2}, "tokens": []string{"[CLS]"}},
				"[SEP]": map[string]any{"id": "[SEP]", "ids": []int{3}, "tokens": []string{"[SEP]"}},
			}},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": 9, "vocab": vocab},
	}
}

func writeTiny(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	j := tinyJSON()
	if edit != nil {
		edit(j)
	}
	dir := t.TempDir()
	data, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "tokenizer.json", string(data))
	return dir
}

// TestTiny: WordPiece's longest-first pieces, the unknown token for a
// word with an unmatched part or too many characters, special tokens in
// the text, truncation, on a vocabulary small enough to check by hand.
func TestTiny(t *testing.T) {
	tk, err := Load(writeTiny(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		max  int
		want []int32
	}{
		{"unaffable", 0, []int32{2, 5, 6, 7, 3}},
		{"unaffablex", 0, []int32{2, 1, 3}},                    // ##x is no piece
		{"unaffable unaffablea", 0, []int32{2, 5, 6, 7, 1, 3}}, // 9 characters, then 10 > 9
		{"a![MASK]a", 0, []int32{2, 8, 10, 4, 8, 3}},
		{"Über über", 0, []int32{2, 1, 11, 3}}, // cased: no lower-casing, no accent stripping
		{"", 0, []int32{2, 3}},
		{"a\xffa", 0, []int32{2, 8, 9, 3}},       // invalid UTF-8 reads as U+FFFD,
		{"a\ufffda", 0, []int32{2, 8, 9, 3}},     // which clean_text removes
		{"a\x00\u200ba", 0, []int32{2, 8, 9, 3}}, // as NUL and format characters
		{"a a a a", 4, []int32{2, 8, 8, 3}},
		{"a a a a", 1, []int32{2, 8, 8, 8, 8, 3}}, // below the special count: no truncation
	} {
		if got := tk.Encode(c.text, c.max); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q, %d) = %v, want %v", c.text, c.max, got, c.want)
		}
	}
	if got, want := tk.VocabSize(), 12; got != want {
		t.Errorf("VocabSize = %d, want %d", got, want)
	}
	if id, ok := tk.PadID(); !ok || id != 0 {
		t.Errorf("PadID = %d, %v, want 0, true", id, ok)
	}
	if pre, suf := tk.SpecialIDs(); !slices.Equal(pre, []int32{2}) || !slices.Equal(suf, []int32{3}) {
		t.Errorf("SpecialIDs = %v, %v, want [2], [3]", pre, suf)
	}
}

// TestBadDirectories: each directory that is not a BERT tokenizer gets a
// one-line error naming the file and the field.
func TestBadDirectories(t *testing.T) {
	set := func(path string, v any) func(map[string]any) {
		return func(j map[string]any) {
			keys := strings.Split(path, ".")
			m := j
			for _, k := range keys[:len(keys)-1] {
				m = m[k].(map[string]any)
			}
			m[keys[len(keys)-1]] = v
		}
	}
	cases := []struct {
		name string
		dir  func(t *testing.T) string
		want []string // in the error
	}{
		{"empty", func(t *testing.T) string { return t.TempDir() }, []string{"neither tokenizer.json nor vocab.txt"}},
		{"vocab without config", func(t *testing.T) string {
			d := t.TempDir()
			write(t, d, "vocab.txt", "[UNK]\n[CLS]\n[SEP]\n")
			return d
		}, []string{"no tokenizer_config.json"}},
		{"roberta config", func(t *testing.T) string {
			d := t.TempDir()
			write(t, d, "vocab.txt", "[UNK]\n[CLS]\n[SEP]\n")
			write(t, d, "tokenizer_config.json", `{"tokenizer_class": "RobertaTokenizer"}`)
			return d
		}, []string{"tokenizer_config.json", "tokenizer_class", "RobertaTokenizer"}},
		{"config not JSON", func(t *testing.T) string {
			d := t.TempDir()
			write(t, d, "vocab.txt", "[UNK]\n")
			write(t, d, "tokenizer_config.json", `{"do_lower_case": tru`)
			return d
		}, []string{"tokenizer_config.json"}},
		{"unk not in vocab.txt", func(t *testing.T) string {
			d := t.TempDir()
			write(t, d, "vocab.txt", "[CLS]\n[SEP]\n")
			write(t, d, "tokenizer_config.json", `{}`)
			return d
		}, []string{"unk_token", "[UNK]"}},
		{"not JSON", func(t *testing.T) string {
			d := t.TempDir()
			write(t, d, "tokenizer.json", "{")
			return d
		}, []string{"tokenizer.json"}},
		{"tokenizer.json a directory", func(t *testing.T) string {
			d := t.TempDir()
			os.Mkdir(filepath.Join(d, "tokenizer.json"), 0o755)
			return d
		}, []string{"tokenizer.json"}},
		{"BPE", func(t *testing.T) string { return writeTiny(t, set("model.type", "BPE")) }, []string{"tokenizer.json", "model.type", "BPE"}},
		{"byte level", func(t *testing.T) string { return writeTiny(t, set("pre_tokenizer.type", "ByteLevel")) },
			[]string{"pre_tokenizer.type", "ByteLevel"}},
		{"sequence normalizer", func(t *testing.T) string { return writeTiny(t, set("normalizer.type", "Sequence")) },
			[]string{"normalizer.type", "Sequence"}},
		{"normalizer option missing", func(t *testing.T) string {
			return writeTiny(t, func(j map[string]any) { delete(j["normalizer"].(map[string]any), "lowercase") })
		}, []string{"normalizer.lowercase"}},
		{"no normalizer", func(t *testing.T) string { return writeTiny(t, set("normalizer", nil)) }, []string{"normalizer is null"}},
		{"roberta processing", func(t *testing.T) string { return writeTiny(t, set("post_processor.type", "RobertaProcessing")) },
			[]string{"post_processor.type", "RobertaProcessing"}},
		{"unk missing", func(t *testing.T) string { return writeTiny(t, set("model.unk_token", "<unk>")) },
			[]string{"model.unk_token", "<unk>"}},
		{"no word limit", func(t *testing.T) string { return writeTiny(t, set("model.max_input_chars_per_word", 0)) },
			[]string{"max_input_chars_per_word"}},
		{"normalized added token", func(t *testing.T) string {
			return writeTiny(t, func(j map[string]any) {
				j["added_tokens"].([]any)[4].(map[string]any)["normalized"] = true
			})
		}, []string{"added_tokens[4]", "[MASK]", "normalized"}},
		{"template without A", func(t *testing.T) string {
			return writeTiny(t, func(j map[string]any) {
				p := j["post_processor"].(map[string]any)
				p["single"] = p["single"].([]any)[:1]
			})
		}, []string{"post_processor.single", "Sequence A"}},
		{"template special unknown", func(t *testing.T) string {
			return writeTiny(t, func(j map[string]any) {
				delete(j["post_processor"].(map[string]any)["special_tokens"].(map[string]any), "[SEP]")
			})
		}, []string{"post_processor.single[2]", "[SEP]"}},
		{"special outside vocabulary", func(t *testing.T) string {
			return writeTiny(t, func(j map[string]any) {
				j["post_processor"].(map[string]any)["special_tokens"].(map[string]any)["[SEP]"].(map[string]any)["ids"] = []int{99}
			})
		}, []string{"special id 99"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.dir(t)
			tk, err := Load(dir)
			if err == nil {
				t.Fatalf("Load accepted it: %v", tk.Encode("a", 0))
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error has several lines: %q", msg)
			}
			for _, w := range append(c.want, "tokenizer: ") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not name %q", msg, w)
				}
			}
		})
	}
}

// TestConcurrentEncode: Encode from many goroutines gives each text the
// ids it gets alone (run with -race).
func TestConcurrentEncode(t *testing.T) {
	tk, err := Load(writeTiny(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"unaffable a!a", "Über [SEP] a", strings.Repeat("a ", 500), "x"}
	want := make([][]int32, len(texts))
	for i, s := range texts {
		want[i] = tk.Encode(s, 0)
	}
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for k := range 200 {
				i := (g + k) % len(texts)
				if got := tk.Encode(texts[i], 0); !slices.Equal(got, want[i]) && err == nil {
					err = fmt.Errorf("goroutine %d: text %d: got %v, want %v", g, i, got, want[i])
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
