package metal

import (
	"sort"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/kernels"
	"github.com/silica-go/silica/kernels/msltest"
)

// TestLibraryCompiles compiles every family source in the harness and
// checks it against the manifest: every kernel the manifest lists exists
// with the buffer bindings it states (index and parameter name), every
// [[threadgroup(n)]] parameter has a length, and every kernel in the
// sources is in the manifest.
func TestLibraryCompiles(t *testing.T) {
	h, err := msltest.Default()
	testenv.Need(t, "clang", err)
	found := map[string]*msltest.Signature{}
	for _, f := range kernels.Families() {
		src, err := kernels.FamilySource(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := h.Compile(f+".metal", src, map[string]string{kernels.HeaderName: kernels.Header()})
		if err != nil {
			t.Fatal(err)
		}
		for n, s := range p.Kernels {
			found[n] = s
		}
	}
	listed := map[string]bool{}
	for _, k := range allKernels() {
		listed[k.Name] = true
		sig, ok := found[k.Name]
		if !ok {
			t.Errorf("%s is in the manifest but not in %s.metal", k.Name, k.Family)
			continue
		}
		if k.Threads%32 != 0 || k.Threads < 32 || k.Threads > 1024 {
			t.Errorf("%s: %d threads per threadgroup", k.Name, k.Threads)
		}
		mem := 0
		for _, n := range k.ThreadgroupMemory {
			if n%16 != 0 {
				t.Errorf("%s: threadgroup memory length %d is not a multiple of 16 (Metal requires it)", k.Name, n)
			}
			mem += n
		}
		if mem > 32768 {
			t.Errorf("%s: %d bytes of threadgroup memory, more than 32 KiB", k.Name, mem)
		}
		bufs := map[int]string{}
		for _, p := range sig.Params {
			switch p.Attr {
			case "buffer":
				bufs[p.Index] = p.Name
			case "threadgroup":
				if p.Index >= len(k.ThreadgroupMemory) || k.ThreadgroupMemory[p.Index] <= 0 {
					t.Errorf("%s: [[threadgroup(%d)]] %s has no length in the manifest", k.Name, p.Index, p.Name)
				}
			}
		}
		if len(bufs) != len(k.Buffers) {
			t.Errorf("%s: the source has %d buffer parameters, the manifest %d", k.Name, len(bufs), len(k.Buffers))
		}
		for _, b := range k.Buffers {
			if bufs[b.Index] != b.Name {
				t.Errorf("%s: [[buffer(%d)]] is %q in the source, %q in the manifest", k.Name, b.Index, bufs[b.Index], b.Name)
			}
		}
	}
	var orphans []string
	for n := range found {
		if !listed[n] {
			orphans = append(orphans, n)
		}
	}
	sort.Strings(orphans)
	for _, n := range orphans {
		t.Errorf("kernel %s is in the sources but not in the manifest", n)
	}
	t.Logf("%d kernels in %d families", len(found), len(kernels.Families()))
}
