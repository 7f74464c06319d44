package cuda

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// kernelTextEnv names the folder TestKernelText writes to.
const kernelTextEnv = "SILICA_CUBIN_DIR"

// TestKernelText is the hook for checking that a change which only moves
// CUDA code leaves the machine code alone: with SILICA_CUBIN_DIR set, it
// compiles every default variant (everyVariant's core) to a cubin for
// sm_90 (sm_90a for the wgmma scan), writes each cubin there, and writes
// text.tsv: one line a kernel, "variant kernel bytes sha256" of the
// kernel's .text section (its SASS). Run it before and after a change and
// compare the two text.tsv files; a kernel whose hash differs has
// different SASS (cuobjdump -sass on the two cubins shows where). A
// subtest compiles one kernel file's variants
// (-run 'TestKernelText/scan_mma_v4.cu'); text.tsv then holds those.
func TestKernelText(t *testing.T) {
	dir := os.Getenv(kernelTextEnv)
	if dir == "" {
		testenv.SkipBecause(t, kernelTextEnv+" is not set: nothing to write the cubins to")
	}
	testenv.Need(t, "nvrtc", loadNVRTC())
	arch, cubin := target(90)
	if !cubin {
		t.Fatalf("NVRTC builds no cubin for sm_90 (it gives %s): the .text sections cannot be compared", arch)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	core, _ := everyVariant()
	seen := map[string]bool{}
	byFile := map[string][]variant{}
	var files []string
	for _, v := range core {
		if seen[v.key()] {
			continue
		}
		seen[v.key()] = true
		if byFile[v.file] == nil {
			files = append(files, v.file)
		}
		byFile[v.file] = append(byFile[v.file], v)
	}
	var all []string
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			todo := byFile[file]
			lines := make([][]string, len(todo))
			errs := make([]error, len(todo))
			parallel(len(todo), func(i int) { lines[i], errs[i] = kernelText(todo[i], arch, dir) })
			for i, err := range errs {
				if err != nil {
					t.Errorf("%s: %v", todo[i], err)
				}
				all = append(all, lines[i]...)
			}
		})
	}
	sort.Strings(all)
	if err := os.WriteFile(filepath.Join(dir, "text.tsv"), []byte(strings.Join(all, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d kernels: %s", len(all), filepath.Join(dir, "text.tsv"))
}

// kernelText compiles v for arch (v's own arch when it has one), writes
// the cubin into dir and returns a line "variant kernel bytes sha256" for
// each .text section.
func kernelText(v variant, arch, dir string) ([]string, error) {
	code, _, err := v.build(arch, true, "", "text")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, v.String()+".cubin"), code, 0o644); err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(code))
	if err != nil {
		return nil, fmt.Errorf("cubin is no ELF file: %w", err)
	}
	var out []string
	for _, s := range f.Sections {
		fn, ok := strings.CutPrefix(s.Name, ".text.")
		if !ok {
			continue
		}
		b, err := s.Data()
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256(b)
		out = append(out, fmt.Sprintf("%s\t%s\t%d\t%s", v, fn, len(b), hex.EncodeToString(h[:])))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no .text section in the cubin")
	}
	return out, nil
}
