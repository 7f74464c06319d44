package mlxcompat

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// fakePython writes a script that answers every -c with line.
func fakePython(t *testing.T, line string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho '"+line+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// fakeMLX makes dir/include/mlx/{mlx.h,version.h} and dir/lib/libmlx.
func fakeMLX(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{filepath.Join(dir, "include", "mlx"), filepath.Join(dir, "lib")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(dir, "include", "mlx", "mlx.h"):     "",
		filepath.Join(dir, "include", "mlx", "version.h"): "#define MLX_VERSION_MAJOR 0\n#define MLX_VERSION_MINOR 31\n#define MLX_VERSION_PATCH 2\n",
		filepath.Join(dir, "lib", libName()):              "",
	}
	for p, s := range files {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindMLXNone(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findMLX(env(map[string]string{EnvMLX: t.TempDir()}), []string{t.TempDir()})
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("nothing installed: %v; want ErrUnavailable", err)
	}
	for _, hint := range []string{"mlx[cpu]", "mlx-metal", EnvMLX} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q does not mention %q", err, hint)
		}
	}
}

func TestFindMLXPython(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	fakeMLX(t, dir)
	in, err := findMLX(env(map[string]string{EnvPython: fakePython(t, dir)}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.version != "0.31.2" || in.dir != dir {
		t.Errorf("found %+v; want MLX 0.31.2 in %s", in, dir)
	}
	s := in.spec()
	if s.Std != "c++20" || !strings.Contains(strings.Join(s.LinkFlags, " "), "-lmlx") {
		t.Errorf("spec %+v; want C++20 linking -lmlx", s)
	}
	// The front-end wheel alone (no backend wheel): said so.
	_, err = findMLX(env(map[string]string{EnvPython: fakePython(t, t.TempDir())}), nil)
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "install its backend") {
		t.Errorf("mlx without its backend wheel: %v", err)
	}
}
