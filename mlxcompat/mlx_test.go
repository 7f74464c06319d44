package mlxcompat

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/shim/shimtest"
)

// fakeMLX makes dir/include/mlx/{mlx.h,version.h} and dir/lib/libmlx.
func fakeMLX(t *testing.T, dir string) {
	shimtest.WriteFiles(t, map[string]string{
		filepath.Join(dir, "include", "mlx", "mlx.h"):     "",
		filepath.Join(dir, "include", "mlx", "version.h"): "#define MLX_VERSION_MAJOR 0\n#define MLX_VERSION_MINOR 31\n#define MLX_VERSION_PATCH 2\n",
		filepath.Join(dir, "lib", libName()):              "",
	})
}

func TestFindMLXNone(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findMLX(shimtest.Env(map[string]string{EnvMLX: t.TempDir()}), []string{t.TempDir()})
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
	in, err := findMLX(shimtest.Env(map[string]string{EnvPython: shimtest.FakePython(t, dir)}), nil)
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
	_, err = findMLX(shimtest.Env(map[string]string{EnvPython: shimtest.FakePython(t, t.TempDir())}), nil)
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "install its backend") {
		t.Errorf("mlx without its backend wheel: %v", err)
	}
}
