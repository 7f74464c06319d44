package shim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/errtext"
)

// fakeCompiler installs a shell script as $CXX that counts its builds in
// count, writes "lib" to its -o file, and fails when the source contains
// FAIL. The shim cache moves to a temporary folder.
func fakeCompiler(t *testing.T) (count string) {
	t.Helper()
	dir := t.TempDir()
	count = filepath.Join(dir, "count")
	script := `#!/bin/sh
if [ "$1" = --version ]; then echo "fake c++ 1.0"; exit 0; fi
out=""; src=""; std=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift ;;
    -std=*) std="$1" ;;
    *.cpp) src="$1" ;;
  esac
  shift
done
for h in silica_shim.h silica_shim_cxx.h; do [ -f "$(dirname "$src")/$h" ] || { echo "no $h beside the source" >&2; exit 1; }; done
if grep -q FAIL "$src"; then echo "error: boom at line 1" >&2; exit 1; fi
if grep -q NEEDS20 "$src" && [ "$std" != -std=c++20 ]; then echo "error: needs C++20" >&2; exit 1; fi
echo x >> "` + count + `"
echo lib > "$out"
`
	cxx := filepath.Join(dir, "fakecxx")
	if err := os.WriteFile(cxx, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CXX", cxx)
	t.Setenv(EnvCacheDir, filepath.Join(dir, "cache"))
	return count
}

func builds(t *testing.T, count string) int {
	data, err := os.ReadFile(count)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "x")
}

func TestBuildCaches(t *testing.T) {
	count := fakeCompiler(t)
	s := &Spec{Name: "fake", Source: []byte("int x;"), Std: "c++17", Flags: []string{"-DA"}, Identity: "v1"}
	p1, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(p1); err != nil || string(data) != "lib\n" || filepath.Base(p1) != s.LibName() {
		t.Fatalf("built %s: %q, %v", p1, data, err)
	}
	p2, err := Build(s)
	if err != nil || p2 != p1 || builds(t, count) != 1 {
		t.Fatalf("second build: %s, %v, %d compilations; want %s from the cache, 1 compilation", p2, err, builds(t, count), p1)
	}
	// Anything that went into the library rebuilds it.
	for _, change := range []func(*Spec){
		func(s *Spec) { s.Identity = "v2" },
		func(s *Spec) { s.Source = []byte("int y;") },
		func(s *Spec) { s.Flags = []string{"-DB"} },
	} {
		n := builds(t, count)
		c := *s
		change(&c)
		p, err := Build(&c)
		if err != nil || p == p1 || builds(t, count) != n+1 {
			t.Errorf("changed spec %+v: %s, %v, %d compilations; want a new library", c, p, err, builds(t, count)-n)
		}
	}
}

func TestBuildFailure(t *testing.T) {
	fakeCompiler(t)
	_, err := Build(&Spec{Name: "fake", Source: []byte("FAIL"), Std: "c++17"})
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "boom at line 1") {
		t.Errorf("failed build: %v; want ErrUnavailable quoting the compiler", err)
	}
	log, _ := filepath.Glob(filepath.Join(os.Getenv(EnvCacheDir), "fake-*", "build.log"))
	if len(log) != 1 {
		t.Fatalf("build logs %v, want one", log)
	}
	if data, _ := os.ReadFile(log[0]); !strings.Contains(string(data), "boom") {
		t.Errorf("build log %q lacks the compiler's message", data)
	}
}

func TestNoCompiler(t *testing.T) {
	t.Setenv("CXX", filepath.Join(t.TempDir(), "no-such-c++"))
	_, err := Build(&Spec{Name: "fake", Source: []byte("int x;"), Std: "c++17"})
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "CXX=") {
		t.Errorf("missing compiler: %v; want ErrUnavailable naming CXX", err)
	}
	t.Setenv("CXX", "")
	t.Setenv("PATH", t.TempDir())
	_, err = Compiler()
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "install g++") {
		t.Errorf("no compiler on PATH: %v; want ErrUnavailable saying what to install", err)
	}
}

func TestLoadRejects(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "libnot.so")
	if err := os.WriteFile(bad, []byte("not a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil {
		t.Error("loading a text file: no error")
	}
	l := &Loader{Name: "fake", EnvShim: "SILICA_FAKE_SHIM", Find: func() (*Spec, string, error) {
		return nil, "", errors.New("never called")
	}}
	t.Setenv("SILICA_FAKE_SHIM", bad)
	if p, err := l.Path(); err != nil || p != bad {
		t.Errorf("Path with %s set: %s, %v", l.EnvShim, p, err)
	}
	if _, err := l.Load(); !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("Load of a bad library: %v; want ErrUnavailable", err)
	}
}

func TestHeaderVersion(t *testing.T) {
	p := filepath.Join(t.TempDir(), "version.h")
	src := "#pragma once\n#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 11\n#define TORCH_VERSION_PATCH 0\n#define TORCH_VERSION \\\n \"2.11.0\"\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := HeaderVersion(p, "TORCH_VERSION"); v != "2.11.0" {
		t.Errorf("HeaderVersion: %q, want 2.11.0", v)
	}
	if v := HeaderVersion(p, "MLX_VERSION"); v != "" {
		t.Errorf("HeaderVersion of absent macros: %q, want empty", v)
	}
	if _, err := UsesCXX11ABI(p); err == nil {
		t.Error("UsesCXX11ABI of a text file: no error")
	}
}

func TestBuildFallbackStandard(t *testing.T) {
	count := fakeCompiler(t)
	// The fake compiler fails on FAIL in the source, whatever the standard,
	// so both standards are tried and both appear in the log.
	_, err := Build(&Spec{Name: "fake", Source: []byte("FAIL"), Std: "c++17", Fallback: []string{"c++20"}})
	if err == nil || !strings.Contains(err.Error(), "-std=c++17") || !strings.Contains(err.Error(), "-std=c++20") {
		t.Errorf("failed build with a fallback: %v; want both standards tried", err)
	}
	if bad := errtext.Check(err.Error(), "build.log"); bad != nil || !strings.Contains(err.Error(), "error: boom") {
		t.Errorf("failed build: %q: %s; want one line quoting the compiler's error, the log's path last", err, strings.Join(bad, "; "))
	}
	if builds(t, count) != 0 {
		t.Errorf("%d libraries written by failing builds", builds(t, count))
	}
	p, err := Build(&Spec{Name: "fake", Source: []byte("NEEDS20"), Std: "c++17", Fallback: []string{"c++20"}})
	if err != nil || builds(t, count) != 1 {
		t.Fatalf("build needing the fallback: %v, %d libraries", err, builds(t, count))
	}
	log, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "build.log"))
	if !strings.Contains(string(log), "needs C++20") || !strings.Contains(string(log), "-std=c++20") {
		t.Errorf("build log %q does not show the first failure and the fallback", log)
	}
}
