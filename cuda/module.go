package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/silica-go/silica/engine"
	kern "github.com/silica-go/silica/kernels"
	src "github.com/silica-go/silica/kernels/cuda"
)

// variant is one compiled specialisation of a kernel file: the file, the
// -D flags that specialise it, and code generated for it (element-wise
// programs). Its name, <family>_<variant>_<dtype>[_<param>...], is built
// by String, with kernels.Name, the one name builder of every backend.
type variant struct {
	file    string       // kernel file, e.g. "topk.cu"
	kind    string       // the variant within the family, e.g. "select"
	dtype   engine.DType // the element type it is built for; none for a kernel that moves bytes
	params  []string     // further specialisation, e.g. "mq8", "nv6"
	defines []string     // -D flags, e.g. "T=float"
	extra   string       // generated code appended to the file
	arch    string       // NVRTC target when not the device's own, e.g. "sm_90a"
}

func (v variant) String() string {
	family := strings.TrimSuffix(v.file, ".cu")
	if v.file == "" {
		family = "custom"
	}
	return kern.Name(family, v.kind, v.dtype, v.params...)
}

// key identifies the variant's compiled module in the in-memory cache.
func (v variant) key() string {
	return v.file + "|" + strings.Join(v.defines, " ") + "|" + v.extra + "|" + v.arch
}

func (v variant) source() (string, error) {
	if v.file == "" { // a custom kernel: its own source, standalone
		return v.extra, nil
	}
	if v.extra != "" {
		return src.SourceWith(v.file, v.extra)
	}
	return src.Source(v.file)
}

// options are the NVRTC flags of the variant for arch.
func (v variant) options(arch string) []string {
	if v.arch != "" {
		arch = v.arch
	}
	opts := []string{"-arch=" + arch, "-std=c++17", "-DSILICA_CUDA=1"}
	for _, d := range v.defines {
		opts = append(opts, "-DSIL_"+d) // prefixed: NVRTC's built-in header is compiled under the same macros
	}
	if os.Getenv("SILICA_CUDA_VERBOSE") != "" {
		opts = append(opts, "--ptxas-options=-v")
	}
	return opts
}

// cacheMagic starts every file of the disk cache; the SHA-256 of the
// module follows it, then the module.
const cacheMagic = "silica-cuda-module-1\n"

// cacheName is the file name of the variant's module in the disk cache:
// a hash of its source, its NVRTC options (arch among them), stamp (the
// NVRTC and driver versions) and the kind of code (cubin or PTX).
func (v variant) cacheName(arch string, cubin bool, stamp string) (string, error) {
	s, err := v.source()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%t", s, strings.Join(v.options(arch), " "), stamp, cubin)
	return hex.EncodeToString(h.Sum(nil))[:32] + map[bool]string{true: ".cubin", false: ".ptx"}[cubin], nil
}

// build compiles the variant for arch (cubin, or PTX when !cubin), going
// through the disk cache dir when it is not "": a cached module whose
// checksum holds is returned without compiling (cached reports so); a
// missing, short or corrupt one is compiled again and replaced. stamp
// adds what else the code depends on (NVRTC and driver versions).
func (v variant) build(arch string, cubin bool, dir, stamp string) (code []byte, cached bool, err error) {
	name, err := v.cacheName(arch, cubin, stamp)
	if err != nil {
		return nil, false, err
	}
	if dir != "" {
		if code, ok := readCache(filepath.Join(dir, name)); ok {
			return code, true, nil
		}
	}
	s, err := v.source()
	if err != nil {
		return nil, false, err
	}
	where := "not kept: no cache folder"
	if dir != "" {
		where = "kept in " + dir
	}
	engine.Progress("cuda: compiling kernel %s with NVRTC (first use; %s)", v, where)
	code, log, err := compile(v.String(), s, v.options(arch), cubin)
	if err != nil {
		return nil, false, err
	}
	if os.Getenv("SILICA_CUDA_VERBOSE") != "" && log != "" {
		fmt.Fprintf(os.Stderr, "cuda: %s:\n%s\n", v, log)
	}
	if !cubin {
		code = append(code, 0) // cuModuleLoadData takes PTX as a C string
	}
	if dir != "" {
		writeCache(dir, name, code)
	}
	return code, false, nil
}

// readCache returns the module in the cache file path when the file is
// whole: the magic, then the SHA-256 of the rest, which matches.
func readCache(path string) ([]byte, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) <= len(cacheMagic)+sha256.Size || string(b[:len(cacheMagic)]) != cacheMagic {
		return nil, false
	}
	sum, code := b[len(cacheMagic):len(cacheMagic)+sha256.Size], b[len(cacheMagic)+sha256.Size:]
	if h := sha256.Sum256(code); string(h[:]) != string(sum) {
		return nil, false
	}
	return code, true
}

// writeCache stores a compiled module with its checksum; a failure only
// costs a later recompile, so it is ignored. The file appears whole or
// not at all: written to a temporary file in dir, synced, renamed.
func writeCache(dir, name string, code []byte) {
	if os.MkdirAll(dir, 0o755) != nil {
		return
	}
	f, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return
	}
	sum := sha256.Sum256(code)
	_, werr := f.Write(append(append([]byte(cacheMagic), sum[:]...), code...))
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), filepath.Join(dir, name)) != nil {
		os.Remove(f.Name())
	}
}

// The environment variables cacheDir reads.
const (
	cacheRootEnv = "SILICA_CACHE_DIR"  // Silica's cache root; kernels go in its cuda folder
	cudaCacheEnv = "SILICA_CUDA_CACHE" // the kernels' folder itself (wins over the root)
)

// cacheDir is where compiled kernels are kept: SILICA_CUDA_CACHE, else
// cuda under SILICA_CACHE_DIR, else silica/cuda under the user's cache
// folder (os.UserCacheDir); "" (no disk cache) when none can be had or
// the variable says "off".
func cacheDir() string {
	if d := os.Getenv(cudaCacheEnv); d != "" {
		return offOr(d)
	}
	if d := os.Getenv(cacheRootEnv); d != "" {
		if d == "off" {
			return ""
		}
		return filepath.Join(d, "cuda")
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "silica", "cuda")
}

func offOr(d string) string {
	if d == "off" {
		return ""
	}
	return d
}

// module is a loaded variant and the functions taken from it (a
// lister's: the variant only, no handle).
type module struct {
	v      variant
	handle uintptr
	fns    map[string]uintptr
}

// function returns the kernel name of variant v, compiling and loading v
// on first use. Called inside do.
func (d *device) function(v variant, name string) (uintptr, error) {
	k := v.key()
	m, ok := d.mods[k]
	if d.virtual { // listed, not loaded (NewLister); its runs are dry: launchN launches nothing
		if !ok {
			d.mods[k] = &module{v: v}
		}
		return 0, nil
	}
	if !ok {
		h, err := d.load(v)
		if err != nil {
			return 0, err
		}
		m = &module{v: v, handle: h, fns: map[string]uintptr{}}
		d.mods[k] = m
	}
	if f, ok := m.fns[name]; ok {
		return f, nil
	}
	var f uintptr
	if err := check("cuModuleGetFunction("+v.String()+"."+name+")", cuModuleGetFunction(&f, m.handle, name)); err != nil {
		return 0, err
	}
	m.fns[name] = f
	return f, nil
}

// load loads variant v: the build's shipped cubin of it when there is one
// the driver takes (shipped.go), else compiled (or taken from the disk
// cache). A cached module the driver refuses (a cache written by another
// driver under the same versions, or damaged past its checksum) is
// removed and compiled again; a shipped one it refuses (a driver older
// than the NVRTC that built it) is compiled.
func (d *device) load(v variant) (uintptr, error) {
	var h uintptr
	if code, ok := d.shippedCode(v); ok && cuModuleLoadData(&h, unsafe.Pointer(&code[0])) == 0 {
		return h, nil
	}
	code, cached, err := v.build(d.arch, d.cubin, d.cache, d.stamp)
	if err != nil {
		return 0, err
	}
	err = check("cuModuleLoadData("+v.String()+")", cuModuleLoadData(&h, unsafe.Pointer(&code[0])))
	if err != nil && cached {
		if name, nerr := v.cacheName(d.arch, d.cubin, d.stamp); nerr == nil {
			os.Remove(filepath.Join(d.cache, name))
		}
		if code, _, err = v.build(d.arch, d.cubin, d.cache, d.stamp); err != nil {
			return 0, err
		}
		err = check("cuModuleLoadData("+v.String()+")", cuModuleLoadData(&h, unsafe.Pointer(&code[0])))
	}
	return h, err
}
