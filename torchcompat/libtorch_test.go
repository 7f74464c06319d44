package torchcompat

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/shim/shimtest"
)

// fakeTree makes dir/lib/libtorch.so and a torch/version.h under include.
func fakeTree(t *testing.T, dir string) {
	api := filepath.Join(dir, "include", "torch", "csrc", "api", "include", "torch")
	shimtest.WriteFiles(t, map[string]string{
		filepath.Join(dir, "lib", libName("torch")): "",
		filepath.Join(api, "version.h"):             "#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 7\n#define TORCH_VERSION_PATCH 1\n",
	})
}

func TestFindLibtorchNone(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no python3
	_, err := findLibtorch(shimtest.Env(map[string]string{
		EnvLibtorch: t.TempDir(),
		EnvPython:   shimtest.FakePython(t, "exit 1"),
	}), nil)
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("nothing installed: %v; want ErrUnavailable", err)
	}
	for _, hint := range []string{"pip install torch", "libtorch-dev", EnvLibtorch, "no libtorch.so in"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q does not mention %q", err, hint)
		}
	}
}

func TestFindLibtorchDownload(t *testing.T) {
	dir := t.TempDir()
	fakeTree(t, dir)
	lt, err := findLibtorch(shimtest.Env(map[string]string{EnvLibtorch: dir}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if lt.version != "2.7.1" || lt.libDir != filepath.Join(dir, "lib") || lt.cxx11 {
		t.Errorf("found %+v; want version 2.7.1 in %s/lib, no C++11 ABI (not an ELF library)", lt, dir)
	}
	s := lt.spec()
	flags := strings.Join(append(s.Flags, s.LinkFlags...), " ")
	for _, want := range []string{"-D_GLIBCXX_USE_CXX11_ABI=0", "-I" + filepath.Join(dir, "include"), "-L" + filepath.Join(dir, "lib"), "-ltorch", "-lc10"} {
		if !strings.Contains(flags, want) {
			t.Errorf("build flags %q lack %q", flags, want)
		}
	}
	if strings.Contains(flags, "torch_cuda") {
		t.Errorf("build flags %q link CUDA libraries that are absent", flags)
	}
}

func TestFindLibtorchPython(t *testing.T) {
	dir := t.TempDir()
	fakeTree(t, dir)
	t.Setenv("PATH", t.TempDir())
	lt, err := findLibtorch(shimtest.Env(map[string]string{EnvPython: shimtest.FakePython(t, dir, "2.11.0+cu130", "1")}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if lt.version != "2.11.0+cu130" || !lt.cxx11 || !strings.Contains(lt.origin, "torch package") {
		t.Errorf("found %+v; want 2.11.0+cu130 with the C++11 ABI from the torch package", lt)
	}
	// A torch package without its libraries is passed over, and said so.
	_, err = findLibtorch(shimtest.Env(map[string]string{EnvPython: shimtest.FakePython(t, t.TempDir(), "2.11.0", "1")}), nil)
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "has no lib/") {
		t.Errorf("torch package without libraries: %v", err)
	}
}

func TestUnknownDevice(t *testing.T) {
	for _, d := range []string{"tpu", "cuda:x", "cuda:-1", "CPU"} {
		_, err := New(d)
		if err == nil || errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "unknown device") {
			t.Errorf("New(%q): %v; want an unknown-device error", d, err)
		}
	}
	for _, d := range []string{"", "cpu", "cuda", "cuda:3", "mps"} {
		if err := checkDevice(d); err != nil {
			t.Errorf("checkDevice(%q): %v", d, err)
		}
	}
	// Every device the driver lists is a name it takes.
	listed, ok := engine.Devices("torch")
	if !ok || len(listed) == 0 {
		t.Errorf(`engine.Devices("torch") = %q, %v; want the driver's devices`, listed, ok)
	}
	for _, d := range listed {
		if err := checkDevice(d); err != nil {
			t.Errorf("listed device %q: %v", d, err)
		}
	}
}
