package cuda

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// TestDiskCache checks the disk cache of compiled modules with NVRTC
// alone (no GPU): a second build reads the first's file without
// compiling; a damaged file (truncated, one byte flipped, or empty) is
// compiled again and replaced, never returned; the file name changes
// with the NVRTC options (a -D flag, the arch), the versions stamp and
// the kind of code; nothing but finished files is left in the folder.
func TestDiskCache(t *testing.T) {
	testenv.Need(t, "nvrtc", loadNVRTC())
	arch, cubin := target(90)
	compiles := 0
	engine.SetProgress(func(m string) {
		if strings.Contains(m, "compiling kernel") {
			compiles++
		}
	})
	defer engine.SetProgress(nil)
	dir := t.TempDir()
	v := selectVariant(engine.Float32)
	first, cached, err := v.build(arch, cubin, dir, "nvrtc 1 driver 1")
	if err != nil || cached || compiles != 1 {
		t.Fatalf("first build: cached %t, %d compiles, err %v; want compiled once", cached, compiles, err)
	}
	name, err := v.cacheName(arch, cubin, "nvrtc 1 driver 1")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no cache file %s: %v", name, err)
	}
	again, cached, err := v.build(arch, cubin, dir, "nvrtc 1 driver 1")
	if err != nil || !cached || compiles != 1 || string(again) != string(first) {
		t.Fatalf("second build: cached %t, %d compiles, same code %t, err %v; want the cached module", cached, compiles, string(again) == string(first), err)
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-len(first)/2] ^= 0x40
	for what, damaged := range map[string][]byte{"truncated": good[:len(good)/2], "flipped": flipped, "empty": nil,
		"header only": good[:len(cacheMagic)+10]} {
		if err := os.WriteFile(path, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		before := compiles
		code, cached, err := v.build(arch, cubin, dir, "nvrtc 1 driver 1")
		if err != nil || cached || compiles != before+1 || string(code) != string(first) {
			t.Errorf("%s entry: cached %t, compiled %d times, right code %t, err %v; want it compiled again", what, cached, compiles-before, string(code) == string(first), err)
		}
		if now, _ := os.ReadFile(path); string(now) != string(good) {
			t.Errorf("%s entry: not replaced by a whole one", what)
		}
	}
	names := map[string]string{"base": name}
	other := func(what string, v variant, arch string, cubin bool, stamp string) {
		n, err := v.cacheName(arch, cubin, stamp)
		if err != nil {
			t.Fatal(err)
		}
		for w, m := range names {
			if m == n {
				t.Errorf("%s has the cache name of %s", what, w)
			}
		}
		names[what] = n
	}
	other("another -D flag", selectVariant(engine.Float16), arch, cubin, "nvrtc 1 driver 1")
	other("another arch", v, "sm_80", cubin, "nvrtc 1 driver 1")
	other("PTX", v, arch, !cubin, "nvrtc 1 driver 1")
	other("another NVRTC", v, arch, cubin, "nvrtc 2 driver 1")
	other("another driver", v, arch, cubin, "nvrtc 1 driver 2")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Errorf("cache folder holds %q; want only %s", got, name)
	}
}

// TestCacheDir checks where the cache goes: SILICA_CUDA_CACHE itself,
// else SILICA_CACHE_DIR/cuda, else silica/cuda under the user's cache
// folder; "off" in either turns it off.
func TestCacheDir(t *testing.T) {
	t.Setenv(cudaCacheEnv, "")
	t.Setenv(cacheRootEnv, "")
	if base, err := os.UserCacheDir(); err == nil {
		if got, want := cacheDir(), filepath.Join(base, "silica", "cuda"); got != want {
			t.Errorf("default: %q, want %q", got, want)
		}
	}
	t.Setenv(cacheRootEnv, "/tmp/sil-root")
	if got := cacheDir(); got != "/tmp/sil-root/cuda" {
		t.Errorf("%s=/tmp/sil-root: %q, want /tmp/sil-root/cuda", cacheRootEnv, got)
	}
	t.Setenv(cudaCacheEnv, "/tmp/sil-kernels")
	if got := cacheDir(); got != "/tmp/sil-kernels" {
		t.Errorf("%s=/tmp/sil-kernels: %q", cudaCacheEnv, got)
	}
	t.Setenv(cudaCacheEnv, "")
	t.Setenv(cacheRootEnv, "off")
	if got := cacheDir(); got != "" {
		t.Errorf("%s=off: %q, want no cache", cacheRootEnv, got)
	}
}
