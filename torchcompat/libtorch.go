package torchcompat

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/shim"
)

// Environment variables that choose the libtorch (see the package doc).
const (
	// EnvLibtorch names a libtorch folder (an unpacked download, with
	// include/ and lib/), tried first.
	EnvLibtorch = "SILICA_LIBTORCH"
	// EnvPython names a Python whose torch package to use, tried before
	// SILICA_PYTHON and python3.
	EnvPython = "SILICA_TORCH_PYTHON"
	// EnvShim names a shim library built by hand; nothing is compiled.
	EnvShim = "SILICA_TORCH_SHIM"
)

// libtorch is one libtorch installation.
type libtorch struct {
	origin  string   // where it was found, for messages
	include []string // include folders
	libDir  string   // folder of libtorch.so
	version string
	cxx11   bool // built with libstdc++'s C++11 ABI
}

// systemLibDirs are where Debian's libtorch-dev (and similar packages)
// put libtorch.so, with headers under /usr/include.
var systemLibDirs = []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib"}

// findLibtorch looks for libtorch in order: the folder named by
// SILICA_LIBTORCH, the torch package of each Python of Pythons
// (SILICA_TORCH_PYTHON, SILICA_PYTHON, python3), and a system package in
// sysDirs. getenv reads the environment. Nothing found is an error
// wrapping engine.ErrUnavailable that says what to install and what was
// tried.
func findLibtorch(getenv func(string) string, sysDirs []string) (*libtorch, error) {
	var tried []string
	if dir := getenv(EnvLibtorch); dir != "" {
		lt, err := libtorchDir(dir, EnvLibtorch+"="+dir)
		if err == nil {
			return lt, nil
		}
		tried = append(tried, err.Error())
	}
	for _, py := range shim.Pythons(getenv, EnvPython, "SILICA_PYTHON") {
		lines, err := shim.Python(py, "import os, torch\n"+
			"print(os.path.dirname(torch.__file__)); print(torch.__version__); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))")
		if err != nil || len(lines) < 3 {
			why := "no torch package"
			if err != nil {
				why = err.Error()
			}
			tried = append(tried, py+": "+why)
			continue
		}
		dir := lines[0]
		if _, err := os.Stat(filepath.Join(dir, "lib", libName("torch"))); err != nil {
			tried = append(tried, fmt.Sprintf("%s: torch %s in %s has no lib/%s", py, lines[1], dir, libName("torch")))
			continue
		}
		lt := &libtorch{
			origin:  "the torch package of " + py,
			include: []string{filepath.Join(dir, "include"), filepath.Join(dir, "include", "torch", "csrc", "api", "include")},
			libDir:  filepath.Join(dir, "lib"),
			version: lines[1],
			cxx11:   lines[2] == "1",
		}
		return lt, nil
	}
	for _, d := range sysDirs {
		if _, err := os.Stat(filepath.Join(d, libName("torch"))); err != nil {
			continue
		}
		const inc = "/usr/include"
		if _, err := os.Stat(filepath.Join(inc, "ATen", "ATen.h")); err != nil {
			tried = append(tried, fmt.Sprintf("%s has libtorch but %s/ATen has no headers (install libtorch-dev)", d, inc))
			continue
		}
		lt := &libtorch{
			origin:  "the system libtorch in " + d,
			include: []string{filepath.Join(inc, "torch", "csrc", "api", "include")},
			libDir:  d,
			version: shim.HeaderVersion(filepath.Join(inc, "torch", "csrc", "api", "include", "torch", "version.h"), "TORCH_VERSION"),
		}
		lt.cxx11, _ = shim.UsesCXX11ABI(filepath.Join(d, libName("c10")))
		return lt, nil
	}
	tried = append(tried, strings.Join(sysDirs, ", ")+": no libtorch")
	return nil, fmt.Errorf("%w: no libtorch found (tried %s); pip install torch into the Python named by %s or SILICA_PYTHON (else python3), "+
		"apt-get install libtorch-dev (Debian, CPU only), or set %s to an unpacked libtorch",
		engine.ErrUnavailable, strings.Join(tried, "; "), EnvPython, EnvLibtorch)
}

// libtorchDir describes an unpacked libtorch download.
func libtorchDir(dir, origin string) (*libtorch, error) {
	lib := filepath.Join(dir, "lib")
	if _, err := os.Stat(filepath.Join(lib, libName("torch"))); err != nil {
		return nil, fmt.Errorf("%s: no %s in %s", origin, libName("torch"), lib)
	}
	inc := filepath.Join(dir, "include")
	lt := &libtorch{
		origin:  origin,
		include: []string{inc, filepath.Join(inc, "torch", "csrc", "api", "include")},
		libDir:  lib,
		version: shim.HeaderVersion(filepath.Join(inc, "torch", "csrc", "api", "include", "torch", "version.h"), "TORCH_VERSION"),
	}
	if v, err := os.ReadFile(filepath.Join(dir, "build-version")); err == nil {
		lt.version = strings.TrimSpace(string(v))
	}
	lt.cxx11, _ = shim.UsesCXX11ABI(filepath.Join(lib, libName("c10")))
	return lt, nil
}

func libName(name string) string {
	if runtime.GOOS == "darwin" {
		return "lib" + name + ".dylib"
	}
	return "lib" + name + ".so"
}

// spec returns the build of the shim against lt: libtorch's C++ API is
// C++17 (C++20 is tried if a release refuses it); libtorch_cuda (where present) is linked so that its CUDA hooks
// register when the shim loads.
func (lt *libtorch) spec() *shim.Spec {
	s := &shim.Spec{Name: "torch", Source: torchSource, Std: "c++17", Fallback: []string{"c++20"}}
	abi := "0"
	if lt.cxx11 {
		abi = "1"
	}
	if runtime.GOOS != "darwin" {
		s.Flags = append(s.Flags, "-D_GLIBCXX_USE_CXX11_ABI="+abi)
	}
	for _, inc := range lt.include {
		s.Flags = append(s.Flags, "-I"+inc)
	}
	libs := []string{"-ltorch", "-ltorch_cpu", "-lc10"}
	for _, extra := range []string{"torch_cuda", "c10_cuda"} {
		if _, err := os.Stat(filepath.Join(lt.libDir, libName(extra))); err == nil {
			libs = append(libs, "-l"+extra)
		}
	}
	s.LinkFlags = []string{"-L" + lt.libDir, "-Wl,-rpath," + lt.libDir}
	if runtime.GOOS == "darwin" {
		s.LinkFlags = append(s.LinkFlags, libs...)
	} else {
		s.LinkFlags = append(append(append(s.LinkFlags, "-Wl,--no-as-needed"), libs...), "-Wl,--as-needed")
	}
	s.Identity = lt.version + "|" + shim.FileStamp(filepath.Join(lt.libDir, libName("torch"))) + "|" +
		shim.FileStamp(filepath.Join(lt.libDir, libName("torch_cpu")))
	return s
}
