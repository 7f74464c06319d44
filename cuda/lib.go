package cuda

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ebitengine/purego"
)

// The native libraries are found once per process. Each candidate path is
// tried in order; SILICA_LIBCUDA and SILICA_NVRTC name a file to use first.

const (
	envLibCUDA = "SILICA_LIBCUDA"
	envNVRTC   = "SILICA_NVRTC"
)

var libcudaCandidates = []string{
	"libcuda.so.1",
	"/usr/lib/x86_64-linux-gnu/libcuda.so.1",
	"/usr/lib64/libcuda.so.1",
	"/usr/local/nvidia/lib64/libcuda.so.1",
	"/usr/lib/aarch64-linux-gnu/libcuda.so.1",
}

// nvrtcCandidates: names the dynamic loader finds, then the toolkit's
// usual folders, then the pip wheels (nvidia-cuda-nvrtc) of the Python
// environments a machine is likely to have.
var nvrtcCandidates = []string{
	"libnvrtc.so.13",
	"libnvrtc.so.12",
	"libnvrtc.so",
	"/usr/local/cuda/lib64/libnvrtc.so*",
	"/usr/local/cuda/targets/*/lib/libnvrtc.so*",
	"/usr/local/cuda-*/lib64/libnvrtc.so*",
	"/opt/torch/.venv/lib/python3*/site-packages/nvidia/cu1*/lib/libnvrtc.so.1*",
	"/opt/torch/.venv/lib/python3*/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.1*",
	"/usr/local/lib/python3*/dist-packages/nvidia/cu1*/lib/libnvrtc.so.1*",
	"/usr/local/lib/python3*/dist-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.1*",
}

// openLib opens the first candidate that loads. Patterns with '*' are
// expanded; env, if set, is tried first. The error lists each path tried
// once, with why it did not load, and ends with install: what to do.
func openLib(what, env, install string, candidates []string) (uintptr, string, error) {
	var paths []string
	if p := os.Getenv(env); p != "" {
		paths = append(paths, p)
	}
	if v := os.Getenv("VIRTUAL_ENV"); v != "" {
		candidates = append(candidates, v+"/lib/python3*/site-packages/nvidia/cu1*/lib/libnvrtc.so.1*")
	}
	if py := os.Getenv("SILICA_PYTHON"); py != "" && what == "libnvrtc" {
		root := filepath.Dir(filepath.Dir(py))
		candidates = append(candidates, root+"/lib/python3*/site-packages/nvidia/cu1*/lib/libnvrtc.so.1*",
			root+"/lib/python3*/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.1*")
	}
	for _, c := range candidates {
		if strings.Contains(c, "*") {
			m, _ := filepath.Glob(c)
			for _, f := range m {
				if !strings.Contains(filepath.Base(f), "builtins") && !strings.Contains(filepath.Base(f), ".alt.") {
					paths = append(paths, f)
				}
			}
			continue
		}
		paths = append(paths, c)
	}
	var reasons []string              // distinct, in order of first appearance
	byReason := map[string][]string{} // the paths that failed for each
	for _, p := range paths {
		h, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err == nil {
			return h, p, nil
		}
		r := strings.TrimPrefix(err.Error(), p+": ") // the loader's message names the path first
		if byReason[r] == nil {
			reasons = append(reasons, r)
		}
		byReason[r] = append(byReason[r], p)
	}
	tried := make([]string, len(reasons))
	for i, r := range reasons {
		tried[i] = strings.Join(byReason[r], ", ") + " (" + r + ")"
	}
	return 0, "", fmt.Errorf("%s not found (tried %s); %s, or set %s to its path",
		what, strings.Join(tried, "; "), install, env)
}

// bind resolves each symbol of lib into its function variable.
func bind(lib uintptr, libName string, fns map[string]any) error {
	for name, fp := range fns {
		sym, err := purego.Dlsym(lib, name)
		if err != nil {
			return fmt.Errorf("%s has no symbol %s (too old a version?): %w", libName, name, err)
		}
		purego.RegisterFunc(fp, sym)
	}
	return nil
}

var (
	cudaOnce sync.Once
	cudaErr  error
	cudaPath string

	nvrtcOnce sync.Once
	nvrtcErr  error
	nvrtcPath string
)

// loadDriver loads libcuda and calls cuInit, once.
func loadDriver() error {
	cudaOnce.Do(func() {
		h, p, err := openLib("libcuda (the NVIDIA driver)", envLibCUDA, "install the NVIDIA driver", libcudaCandidates)
		if err != nil {
			cudaErr = err
			return
		}
		cudaPath = p
		if err := bind(h, p, driverSymbols()); err != nil {
			cudaErr = err
			return
		}
		if err := check("cuInit", cuInit(0)); err != nil {
			cudaErr = err
		}
	})
	return cudaErr
}

// loadNVRTC loads libnvrtc, once.
func loadNVRTC() error {
	nvrtcOnce.Do(func() {
		h, p, err := openLib("libnvrtc", envNVRTC, "pip install nvidia-cuda-nvrtc or install the CUDA toolkit", nvrtcCandidates)
		if err != nil {
			nvrtcErr = err
			return
		}
		nvrtcPath = p
		preloadBuiltins(p)
		nvrtcErr = bind(h, p, nvrtcSymbols())
	})
	return nvrtcErr
}

// preloadBuiltins loads libnvrtc-builtins from the folder of libnvrtc at
// path. NVRTC opens it by its bare name at the first compile, which fails
// where its folder is not on the loader's path (pip wheels); loaded first,
// it is found by that name.
func preloadBuiltins(path string) {
	if !strings.Contains(path, "/") {
		return
	}
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "libnvrtc-builtins.so.*"))
	for _, f := range m {
		if !strings.Contains(filepath.Base(f), ".alt.") {
			purego.Dlopen(f, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		}
	}
}
