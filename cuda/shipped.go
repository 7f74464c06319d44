package cuda

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/par"
	src "github.com/silica-go/silica/kernels/cuda"
)

// The kernels the build ships: cubins compiled ahead of time for the
// variants a store launches (kernels/cuda/shipped: manifest.json lists
// them, kernels.pack holds them), so that a device of their architecture
// loads them instead of compiling them. A variant is found in the pack by the same
// hash as in the disk cache (source, NVRTC options, the kind of code)
// with shippedStamp for the versions, so a kernel whose source or flags
// changed is not found and is compiled as before.

// shippedStamp stands for the versions in the cache name of a shipped
// module: whatever NVRTC built it, the driver decides when it loads it
// (one it refuses is compiled instead).
const shippedStamp = "shipped"

// shippedEnv, when "off", makes the backend ignore the shipped kernels
// (cmd/cudabench times a first use without them); when a folder, the
// backend takes them from its kernels.pack (and the tests from its
// manifest.json), as cmd/kernelpack writes them, instead of the build's.
const shippedEnv = "SILICA_CUDA_SHIPPED"

// shippedFiles returns the manifest and the pack of the shipped kernels:
// the build's, or those of the folder SILICA_CUDA_SHIPPED names.
func shippedFiles() (manifest, pack []byte, err error) {
	dir := os.Getenv(shippedEnv)
	if dir == "" || dir == "off" {
		return src.ShippedManifest(), src.ShippedPack(), nil
	}
	if manifest, err = os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
		pack, err = os.ReadFile(filepath.Join(dir, "kernels.pack"))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cuda: %s=%s: %w", shippedEnv, dir, err)
	}
	return manifest, pack, nil
}

// packMagic starts a pack; entries follow it, each the length of its
// name (uint16), the name (cacheName with shippedStamp), the length of
// its code gzipped (uint32) and that, little-endian. Each module is
// compressed alone, so that a process unpacks only those it loads.
const packMagic = "silica-cuda-pack-2\n"

// KernelSpec describes a kernel variant as cmd/kernelpack lists and
// ships it: the kernel file, the variant's kind, element type and
// parameters (its name), the -D flags and generated code that specialise
// it, its own NVRTC target when it has one (Arch, e.g. sm_90a) and the
// device's (Target, e.g. sm_90).
type KernelSpec struct {
	Name    string   `json:"name"`
	File    string   `json:"file"`
	Kind    string   `json:"kind"`
	DType   string   `json:"dtype,omitempty"`
	Params  []string `json:"params,omitempty"`
	Defines []string `json:"defines,omitempty"`
	Extra   string   `json:"extra,omitempty"`
	Arch    string   `json:"arch,omitempty"`
	Target  string   `json:"target"`
}

func specOf(v variant, target string) KernelSpec {
	s := KernelSpec{Name: v.String(), File: v.file, Kind: v.kind, Params: v.params, Defines: v.defines,
		Extra: v.extra, Arch: v.arch, Target: target}
	if v.dtype != engine.InvalidDType {
		s.DType = v.dtype.String()
	}
	return s
}

func (s KernelSpec) variant() (variant, error) {
	v := variant{file: s.File, kind: s.Kind, params: s.Params, defines: s.Defines, extra: s.Extra, arch: s.Arch}
	if s.DType != "" {
		dt, err := engine.ParseDType(s.DType)
		if err != nil {
			return variant{}, fmt.Errorf("cuda: kernel %s: %w", s.Name, err)
		}
		v.dtype = dt
	}
	if s.Target == "" || !strings.HasPrefix(s.Target, "sm_") {
		return variant{}, fmt.Errorf("cuda: kernel %s: target %q; want a real architecture such as sm_90", s.Name, s.Target)
	}
	if got := v.String(); got != s.Name {
		return variant{}, fmt.Errorf("cuda: kernel %s: its fields name it %s", s.Name, got)
	}
	return v, nil
}

// packName is the name of the spec's module in a pack.
func (s KernelSpec) packName() (string, error) {
	v, err := s.variant()
	if err != nil {
		return "", err
	}
	return v.cacheName(s.Target, true, shippedStamp)
}

// Kernels lists the kernel variants this backend has loaded, or a
// lister (NewLister) has listed, sorted by name: what cmd/kernelpack
// ships.
func (b *Backend) Kernels() []KernelSpec {
	var out []KernelSpec
	b.d.mu.Lock() // what device.do holds while a run adds modules
	for _, m := range b.d.mods {
		out = append(out, specOf(m.v, b.d.arch))
	}
	b.d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Extra < out[j].Extra
	})
	return out
}

// errLister is the error of a lister's calls that need a device.
var errLister = errors.New("cuda: a kernel lister (NewLister) has no device")

// NewLister returns a backend without a GPU that lists kernels, for
// cmd/kernelpack: its Warm (Engine.Warm) lists every kernel the plan's
// steps would launch on a GPU of compute capability cc with sms
// multiprocessors and smem bytes of shared memory a block (opt-in),
// chosen as Run would choose them there, and compiles, loads and
// launches nothing; Kernels returns what it listed, Supports answers as
// the backend does. Every call that needs a device fails. It needs NVRTC
// (for the device's target) and no driver.
func NewLister(cc, sms, smem int) (*Backend, error) {
	if err := loadNVRTC(); err != nil {
		return nil, err
	}
	if cc < 50 || sms < 1 || smem < 48<<10 {
		return nil, fmt.Errorf("cuda: lister of compute capability %d, %d SMs, %d bytes of shared memory; want a real GPU's", cc, sms, smem)
	}
	d := &device{name: "kernel lister", cc: cc, sms: sms, smemOptin: smem, virtual: true,
		mods: map[string]*module{}, bigSet: map[uintptr]int{}}
	d.arch, d.cubin = target(cc)
	return &Backend{d: d, pool: pool{free: map[int][]dptr{}}}, nil
}

// BuildPack compiles each spec with NVRTC (no GPU needed), on every
// core, into a pack for kernels/cuda/shipped. The pack is the same bytes
// for the same specs, sources and NVRTC.
func BuildPack(specs []KernelSpec) ([]byte, error) {
	if err := loadNVRTC(); err != nil {
		return nil, err
	}
	names := make([]string, len(specs))
	codes := make([][]byte, len(specs))
	errs := make([]error, len(specs))
	par.Chunks(len(specs), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v, err := specs[i].variant()
			if err == nil {
				names[i], err = v.cacheName(specs[i].Target, true, shippedStamp)
			}
			if err == nil {
				codes[i], _, err = v.build(specs[i].Target, true, "", shippedStamp)
			}
			errs[i] = err
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	order := make([]int, len(specs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return names[order[a]] < names[order[b]] })
	var out bytes.Buffer
	out.WriteString(packMagic)
	seen := map[string]bool{}
	for _, i := range order {
		if seen[names[i]] {
			continue
		}
		seen[names[i]] = true
		var z bytes.Buffer
		zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		zw.Write(codes[i])
		if err := zw.Close(); err != nil {
			return nil, err
		}
		binary.Write(&out, binary.LittleEndian, uint16(len(names[i])))
		out.WriteString(names[i])
		binary.Write(&out, binary.LittleEndian, uint32(z.Len()))
		out.Write(z.Bytes())
	}
	return out.Bytes(), nil
}

// readPack returns the modules of a pack by name, each still gzipped (a
// slice of pack; unpack decompresses one).
func readPack(pack []byte) (map[string][]byte, error) {
	rest, ok := bytes.CutPrefix(pack, []byte(packMagic))
	if !ok {
		return nil, fmt.Errorf("cuda: shipped kernels: not a pack (no %q)", strings.TrimSpace(packMagic))
	}
	mods := map[string][]byte{}
	for len(rest) > 0 {
		if len(rest) < 2 {
			return nil, fmt.Errorf("cuda: shipped kernels: truncated after %d modules", len(mods))
		}
		n := int(binary.LittleEndian.Uint16(rest))
		if len(rest) < 2+n+4 {
			return nil, fmt.Errorf("cuda: shipped kernels: truncated after %d modules", len(mods))
		}
		name := string(rest[2 : 2+n])
		size := int(binary.LittleEndian.Uint32(rest[2+n:]))
		rest = rest[2+n+4:]
		if size == 0 || len(rest) < size {
			return nil, fmt.Errorf("cuda: shipped kernels: module %s truncated", name)
		}
		mods[name] = rest[:size:size]
		rest = rest[size:]
	}
	return mods, nil
}

// unpack decompresses a module of a pack (readPack); a damaged one is an
// error (gzip's CRC-32 of the module).
func unpack(name string, z []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err == nil {
		var code []byte
		if code, err = io.ReadAll(zr); err == nil && len(code) > 0 {
			return code, nil
		}
	}
	return nil, fmt.Errorf("cuda: shipped kernel %s: damaged (%v)", name, err)
}

// CheckPack reports whether pack holds exactly the modules of specs as
// their sources are now: an error names the first spec missing (its
// source or flags changed since the pack was built) and the count of
// modules no spec names.
func CheckPack(specs []KernelSpec, pack []byte) error {
	mods, err := readPack(pack)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	var missing []string
	for _, s := range specs {
		name, err := s.packName()
		if err != nil {
			return err
		}
		want[name] = true
		if _, ok := mods[name]; !ok {
			missing = append(missing, s.Name)
		}
	}
	extra := 0
	for name := range mods {
		if !want[name] {
			extra++
		}
	}
	if len(missing) > 0 || extra > 0 {
		slices.Sort(missing)
		first := ""
		if len(missing) > 0 {
			first = " (the first: " + missing[0] + ")"
		}
		return fmt.Errorf("cuda: the shipped kernels are stale: %d of %d listed are not in the pack as their sources are now%s, %d in it are listed by none; rebuild it with go run ./cmd/kernelpack build",
			len(missing), len(specs), first, extra)
	}
	return nil
}

// shipped is the index of the pack in use (shippedFiles), read once.
var shipped = sync.OnceValue(func() map[string][]byte {
	_, pack, err := shippedFiles()
	var mods map[string][]byte
	if err == nil {
		mods, err = readPack(pack)
	}
	if err != nil {
		engine.Progress("%v; kernels are compiled with NVRTC", err)
		return nil
	}
	return mods
})

// shippedCode returns the shipped cubin of v for this device, if the
// build has one and SILICA_CUDA_SHIPPED is not "off".
func (d *device) shippedCode(v variant) ([]byte, bool) {
	if !d.cubin || os.Getenv(shippedEnv) == "off" {
		return nil, false
	}
	name, err := v.cacheName(d.arch, true, shippedStamp)
	if err != nil {
		return nil, false
	}
	z, ok := shipped()[name]
	if !ok {
		return nil, false
	}
	code, err := unpack(name, z)
	if err != nil {
		engine.Progress("%v; compiled with NVRTC instead", err)
		return nil, false
	}
	return code, true
}
