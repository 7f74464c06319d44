package shim

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/silica-go/silica/engine"
)

// Header is csrc/silica_shim.h, the ABI every shim source includes.
//
//go:embed csrc/silica_shim.h
var Header []byte

// opsHeader is silica_shim_ops.h, the op codes and arities that
// OpsHeader generates from the op table; silica_shim.h includes it.
var opsHeader = OpsHeader()

// cxxHeader is csrc/silica_shim_cxx.h, C++ helpers the sources share.
//
//go:embed csrc/silica_shim_cxx.h
var cxxHeader []byte

// headers are the files Build writes beside a shim's source.
var headers = map[string][]byte{"silica_shim.h": Header, "silica_shim_ops.h": opsHeader, "silica_shim_cxx.h": cxxHeader}

// Spec describes how to build one shim against one vendor library.
type Spec struct {
	// Name names the shim ("torch", "mlx"): the library is
	// libsilica_<name>.so (.dylib on macOS).
	Name string
	// Source is the C++ source; it includes silica_shim.h and may include
	// silica_shim_cxx.h.
	Source []byte
	// Std is the C++ standard, e.g. "c++17"; where the compiler rejects
	// the source under it, each of Fallback is tried in turn (a newer
	// vendor release may need a newer standard).
	Std      string
	Fallback []string
	// Flags are the compiler's flags for the vendor library: include
	// directories, defines. LinkFlags follow the source: library
	// directories, run paths, libraries.
	Flags, LinkFlags []string
	// Identity names what the built library depends on beyond the flags:
	// the vendor's version and the stamps of its library files
	// (FileStamp), so that an upgrade rebuilds the shim.
	Identity string
}

// LibName returns the file name of the built library.
func (s *Spec) LibName() string {
	if runtime.GOOS == "darwin" {
		return "libsilica_" + s.Name + ".dylib"
	}
	return "libsilica_" + s.Name + ".so"
}

// Command returns the compiler's arguments (after the compiler itself) to
// build the shim from src (a file next to silica_shim.h) into out.
func (s *Spec) Command(src, out string) []string {
	args := []string{"-std=" + s.Std, "-O2", "-fPIC", "-shared", "-I" + filepath.Dir(src)}
	args = append(args, s.Flags...)
	args = append(args, src, "-o", out)
	return append(args, s.LinkFlags...)
}

// EnvCacheDir names the environment variable that moves the shim cache
// (default: os.UserCacheDir()/silica/shim).
const EnvCacheDir = "SILICA_SHIM_CACHE"

// CacheDir returns the folder where built shims are kept.
func CacheDir() (string, error) {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("shim: no cache folder (set %s): %w", EnvCacheDir, err)
	}
	return filepath.Join(d, "silica", "shim"), nil
}

// Compiler returns the C++ compiler to use: $CXX, else the first of c++,
// g++, clang++ on PATH. Its absence is an error wrapping
// engine.ErrUnavailable that says what to install.
func Compiler() (string, error) {
	if cxx := os.Getenv("CXX"); cxx != "" {
		p, err := exec.LookPath(cxx)
		if err != nil {
			return "", fmt.Errorf("%w: CXX=%s is not a program (%v); set CXX to a C++ compiler such as g++ or clang++", engine.ErrUnavailable, cxx, err)
		}
		return p, nil
	}
	for _, c := range []string{"c++", "g++", "clang++"} {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no C++ compiler to build the shim (no c++, g++ or clang++ on PATH); install one (apt-get install g++) or set CXX", engine.ErrUnavailable)
}

var buildMu sync.Mutex // one build at a time in this process

// Build returns the path of the shim built from s, compiling it with the
// machine's C++ compiler at first use. Built libraries are cached under
// CacheDir by a hash of the sources, flags, compiler version and
// s.Identity, so a given set compiles once per machine; a build writes to
// a temporary name and renames, so concurrent processes never load a
// half-written library. Failures wrap engine.ErrUnavailable and quote the
// compiler's first error (the whole log is kept beside the cache entry).
// A compile is announced through engine.Progress, before and after.
func Build(s *Spec) (string, error) {
	cxx, err := Compiler()
	if err != nil {
		return "", err
	}
	version, err := exec.Command(cxx, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s --version fails (%v); set CXX to a working C++ compiler", engine.ErrUnavailable, cxx, err)
	}
	h := sha256.New()
	for _, part := range [][]byte{Header, opsHeader, cxxHeader, s.Source, []byte(cxx), version, []byte(s.Std), []byte(strings.Join(s.Fallback, ",")),
		[]byte(strings.Join(s.Flags, "\x00")), []byte(strings.Join(s.LinkFlags, "\x00")), []byte(s.Identity)} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	root, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, s.Name+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	lib := filepath.Join(dir, s.LibName())
	buildMu.Lock()
	defer buildMu.Unlock()
	if _, err := os.Stat(lib); err == nil {
		return lib, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("shim: cache folder: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("shim: cache folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, s.Name+"_shim.cpp")
	for name, data := range headers {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(src, s.Source, 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(tmp, s.LibName())
	engine.Progress("compiling the %s shim with %s (first use on this machine: up to a minute; kept in %s)", s.Name, cxx, dir)
	start := time.Now()
	var log bytes.Buffer
	var runErr error
	for _, std := range append([]string{s.Std}, s.Fallback...) {
		c := *s
		c.Std = std
		cmd := exec.Command(cxx, c.Command(src, out)...)
		fmt.Fprintf(&log, "%s %s\n", cxx, strings.Join(cmd.Args[1:], " "))
		cmd.Stdout, cmd.Stderr = &log, &log
		if runErr = cmd.Run(); runErr == nil {
			break
		}
	}
	logPath := filepath.Join(dir, "build.log")
	_ = os.WriteFile(logPath, log.Bytes(), 0o644)
	if runErr != nil {
		stds := "-std=" + strings.Join(append([]string{s.Std}, s.Fallback...), ", -std=")
		return "", fmt.Errorf("%w: building the %s shim failed with %s (%v): %s; the compiler's whole output is in %s",
			engine.ErrUnavailable, s.Name, stds, runErr, firstError(log.String()), logPath)
	}
	if err := os.Rename(out, lib); err != nil {
		return "", fmt.Errorf("shim: %w", err)
	}
	engine.Progress("compiled the %s shim in %.0fs", s.Name, time.Since(start).Seconds())
	return lib, nil
}

// firstError returns the compiler's first line that reports an error (the
// last line if none does), shortened to 200 bytes: one line for the
// error's text, the whole log being on disk.
func firstError(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	line := lines[len(lines)-1]
	for _, l := range lines {
		if strings.Contains(l, "error") {
			line = l
			break
		}
	}
	line = strings.TrimSpace(line)
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	return line
}

// FileStamp identifies a file by path, size and modification time, for
// Spec.Identity ("" if it cannot be read).
func FileStamp(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", path, st.Size(), st.ModTime().UnixNano())
}
