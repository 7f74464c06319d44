package msltest

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed include/metal_stdlib runtime/runtime.cpp runtime/silica_rt.h runtime/fiber_switch.h
var files embed.FS

// ErrNoCompiler is wrapped by New's error when no suitable clang is found.
var ErrNoCompiler = errors.New("msltest: no clang++ 15 or newer found")

// Harness compiles MSL sources to CPU programs with clang and caches them
// by content. It is safe for concurrent use.
type Harness struct {
	clang   string // path of clang++
	version string // its --version line, part of every cache key
	cache   string // directory of built programs

	mu      sync.Mutex
	rtObj   string              // the compiled runtime object
	progs   map[string]*Program // by cache key
	pending map[string]*sync.Mutex
}

// cflags are the flags every kernel source is compiled with: C++17 with
// no standard headers (only the metal_stdlib subset is visible), no
// exceptions, no floating-point contraction (so that a*b+c rounds twice,
// as the CPU reference does; use fma() for one rounding).
var cflags = []string{"-std=c++17", "-O2", "-nostdinc", "-nostdinc++", "-fno-exceptions", "-fno-rtti",
	"-ffp-contract=off", "-Wno-unknown-attributes", "-Werror=return-type", "-ferror-limit=20",
	"-fno-color-diagnostics", "-fno-caret-diagnostics"}

var (
	defaultOnce sync.Once
	defaultH    *Harness
	defaultErr  error
)

// Default returns a process-wide Harness made by New on first use.
func Default() (*Harness, error) {
	defaultOnce.Do(func() { defaultH, defaultErr = New() })
	return defaultH, defaultErr
}

// New finds clang++ (the SILICA_CLANG environment variable, else
// clang++-19 down to clang++-15 on PATH, else clang++) and checks that it
// is version 15 or newer (the first with _Float16, MSL's half, on x86-64).
// Built programs are cached in SILICA_MSLTEST_CACHE, else in the user's
// cache directory under silica/msltest. The error wraps ErrNoCompiler
// when no suitable compiler exists.
func New() (*Harness, error) {
	var candidates []string
	if c := os.Getenv("SILICA_CLANG"); c != "" {
		candidates = append(candidates, c)
	}
	for v := 19; v >= 15; v-- {
		candidates = append(candidates, "clang++-"+strconv.Itoa(v))
	}
	candidates = append(candidates, "clang++")
	var tried []string
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "--version").Output()
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		line := strings.SplitN(string(out), "\n", 2)[0]
		m := regexp.MustCompile(`version (\d+)\.`).FindStringSubmatch(line)
		if m == nil {
			tried = append(tried, fmt.Sprintf("%s: cannot read version from %q", path, line))
			continue
		}
		if v, _ := strconv.Atoi(m[1]); v < 15 {
			tried = append(tried, fmt.Sprintf("%s is version %d", path, v))
			continue
		}
		cache := os.Getenv("SILICA_MSLTEST_CACHE")
		if cache == "" {
			base, err := os.UserCacheDir()
			if err != nil {
				base = os.TempDir()
			}
			cache = filepath.Join(base, "silica", "msltest")
		}
		if err := os.MkdirAll(cache, 0o755); err != nil {
			return nil, fmt.Errorf("msltest: cache directory: %w", err)
		}
		return &Harness{clang: path, version: line, cache: cache,
			progs: map[string]*Program{}, pending: map[string]*sync.Mutex{}}, nil
	}
	hint := "install clang-15 (Debian: apt-get install clang-15; .ci/setup.d/10-clang.sh) or set SILICA_CLANG"
	if len(tried) > 0 {
		return nil, fmt.Errorf("%w (%s); %s", ErrNoCompiler, strings.Join(tried, "; "), hint)
	}
	return nil, fmt.Errorf("%w on PATH; %s", ErrNoCompiler, hint)
}

// Compiler returns the clang++ the harness runs and its version line.
func (h *Harness) Compiler() (path, version string) { return h.clang, h.version }

// CompileError is a source that clang rejected. Log holds the compiler's
// messages, with paths as the source was named ("normalize.metal:12:3:
// error: ...").
type CompileError struct {
	Name string // the source's name as given to Compile
	Log  string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("msltest: %s does not compile in the MSL harness:\n%s", e.Name, e.Log)
}

// Program is a compiled MSL source: an executable that runs one launch of
// any of its kernels per call (see Launch).
type Program struct {
	Name    string                // the source's name as given to Compile
	Kernels map[string]*Signature // every kernel function in the source
	exe     string
}

// Signature is a kernel function's parameter list.
type Signature struct {
	Name   string
	Params []Param
}

// Param is one kernel parameter and its attribute.
type Param struct {
	Name string // the parameter's name
	// Attr is the attribute's name: "buffer", "threadgroup", or a
	// thread-position attribute such as "thread_position_in_grid".
	Attr  string
	Index int // n of [[buffer(n)]] or [[threadgroup(n)]], else 0
}

// KernelNames returns the program's kernel names, sorted.
func (p *Program) KernelNames() []string {
	names := make([]string, 0, len(p.Kernels))
	for n := range p.Kernels {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (h *Harness) key(parts ...string) string {
	s := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(s, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(s.Sum(nil))[:24]
}

func embedded(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

// lock serialises builds of one cache key.
func (h *Harness) lock(key string) func() {
	h.mu.Lock()
	m := h.pending[key]
	if m == nil {
		m = &sync.Mutex{}
		h.pending[key] = m
	}
	h.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// runtimeObject compiles runtime.cpp once per compiler and runtime source.
func (h *Harness) runtimeObject() (string, error) {
	src, hdr, fib := embedded("runtime/runtime.cpp"), embedded("runtime/silica_rt.h"), embedded("runtime/fiber_switch.h")
	key := h.key("runtime", h.version, src, hdr, fib)
	defer h.lock(key)()
	obj := filepath.Join(h.cache, "runtime-"+key+".o")
	if _, err := os.Stat(obj); err == nil {
		return obj, nil
	}
	dir, err := os.MkdirTemp(h.cache, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	for name, text := range map[string]string{"runtime.cpp": src, "silica_rt.h": hdr, "fiber_switch.h": fib} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	tmp := filepath.Join(dir, "runtime.o")
	cmd := exec.Command(h.clang, "-std=c++17", "-O2", "-pthread", "-c", "runtime.cpp", "-o", tmp)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("msltest: the harness runtime does not compile with %s: %v\n%s", h.version, err, out)
	}
	if err := os.Rename(tmp, obj); err != nil {
		return "", err
	}
	return obj, nil
}

// Compile builds an MSL source for the CPU. name is the source's file
// name, used in messages and by #include lines of other files; includes
// maps further file names (headers the source includes with "...") to
// their text. Every function declared `kernel` becomes launchable. A
// source outside the harness subset (see the package documentation), or
// one that is not valid MSL-as-C++, fails with a *CompileError carrying
// clang's messages with line numbers in the given files. Programs are
// cached by content: a second Compile of the same text is immediate.
func (h *Harness) Compile(name, src string, includes map[string]string) (*Program, error) {
	if strings.ContainsAny(name, "/\\") || name == "" {
		return nil, fmt.Errorf("msltest: source name %q must be a plain file name", name)
	}
	inc := make([]string, 0, 2*len(includes))
	for n := range includes {
		if strings.ContainsAny(n, "/\\") || n == "" || n == name {
			return nil, fmt.Errorf("msltest: include name %q must be a plain file name other than the source's", n)
		}
		inc = append(inc, n)
	}
	sort.Strings(inc)
	parts := []string{"program", h.version, embedded("include/metal_stdlib"), embedded("runtime/silica_rt.h"),
		embedded("runtime/runtime.cpp"), embedded("runtime/fiber_switch.h"), strings.Join(cflags, " "), name, src}
	for _, n := range inc {
		parts = append(parts, n, includes[n])
	}
	key := h.key(parts...)
	h.mu.Lock()
	p := h.progs[key]
	h.mu.Unlock()
	if p != nil {
		return p, nil
	}
	unlock := h.lock(key)
	defer unlock()
	exe := filepath.Join(h.cache, "prog-"+key)
	meta := exe + ".json"
	if raw, err := os.ReadFile(meta); err == nil {
		if _, err := os.Stat(exe); err == nil {
			var ks map[string]*Signature
			if json.Unmarshal(raw, &ks) == nil {
				p = &Program{Name: name, Kernels: ks, exe: exe}
			}
		}
	}
	if p == nil {
		var err error
		if p, err = h.build(name, src, includes, exe, meta); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	h.progs[key] = p
	h.mu.Unlock()
	return p, nil
}

func (h *Harness) build(name, src string, includes map[string]string, exe, meta string) (*Program, error) {
	rt, err := h.runtimeObject()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(h.cache, "build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srcDir, incDir := filepath.Join(dir, "src"), filepath.Join(dir, "include")
	for _, d := range []string{srcDir, incDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, err
		}
	}
	write := func(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }
	if err := write(filepath.Join(incDir, "metal_stdlib"), embedded("include/metal_stdlib")); err != nil {
		return nil, err
	}
	if err := write(filepath.Join(incDir, "silica_rt.h"), embedded("runtime/silica_rt.h")); err != nil {
		return nil, err
	}
	if err := write(filepath.Join(srcDir, name), rewrite(src)); err != nil {
		return nil, err
	}
	for n, text := range includes {
		if err := write(filepath.Join(srcDir, n), rewrite(text)); err != nil {
			return nil, err
		}
	}
	clean := func(out []byte) string {
		s := strings.ReplaceAll(string(out), srcDir+string(filepath.Separator), "")
		s = strings.ReplaceAll(s, incDir+string(filepath.Separator), "<harness>/")
		s = strings.ReplaceAll(s, dir+string(filepath.Separator), "")
		if strings.Contains(s, "automatic variable qualified with an address space") {
			s += "hint: the harness subset has no threadgroup variables in kernel scope; declare threadgroup memory as a `threadgroup T* name [[threadgroup(n)]]` kernel parameter\n"
		}
		return s
	}
	// Pass 1: preprocess, to find the kernels (also those made by macros).
	args := append(append([]string{}, cflags...), "-I", incDir, "-I", srcDir, "-x", "c++", "-E", name)
	cmd := exec.Command(h.clang, args...)
	cmd.Dir = srcDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pre, err := cmd.Output()
	if err != nil {
		return nil, &CompileError{Name: name, Log: clean(stderr.Bytes())}
	}
	sigs, err := parseKernels(string(pre))
	if err != nil {
		return nil, &CompileError{Name: name, Log: err.Error()}
	}
	if len(sigs) == 0 {
		return nil, &CompileError{Name: name, Log: "no kernel function (`kernel void name(...)`) in the source"}
	}
	wrapper, err := entryPoints(name, sigs)
	if err != nil {
		return nil, &CompileError{Name: name, Log: err.Error()}
	}
	if err := write(filepath.Join(dir, "entry.cpp"), wrapper); err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, "prog")
	args = append(append([]string{}, cflags...), "-I", incDir, "-I", srcDir, "-c", "entry.cpp", "-o", "entry.o")
	cmd = exec.Command(h.clang, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, &CompileError{Name: name, Log: clean(out)}
	}
	cmd = exec.Command(h.clang, "entry.o", rt, "-pthread", "-o", tmp)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, &CompileError{Name: name, Log: clean(out)}
	}
	raw, err := json.Marshal(sigs)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(tmp+".json", raw, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, exe); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp+".json", meta); err != nil {
		return nil, err
	}
	return &Program{Name: name, Kernels: sigs, exe: exe}, nil
}

// Workers is the default number of OS threads a launch spreads its
// threadgroups over.
var Workers = runtime.NumCPU()
