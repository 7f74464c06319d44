package cuda

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/store"
)

// shippedSpecs is the manifest of the shipped kernels (shippedFiles).
func shippedSpecs(t *testing.T) []KernelSpec {
	t.Helper()
	manifest, _, err := shippedFiles()
	if err != nil {
		t.Fatal(err)
	}
	var specs []KernelSpec
	if err := json.Unmarshal(manifest, &specs); err != nil {
		t.Fatalf("the shipped kernels' manifest: %v", err)
	}
	return specs
}

// TestShippedPack checks the kernels the build ships (no GPU or NVRTC
// needed): the manifest lists the kernels a store loads on Hopper, sm_90
// (the scans of one query and of many, the large-k select, the add's
// normalisation), each entry names its own variant, and the pack holds
// exactly their modules as the sources are now: a kernel whose source
// changed since `go run ./cmd/kernelpack build` fails here.
func TestShippedPack(t *testing.T) {
	specs := shippedSpecs(t)
	seen := map[string]bool{}
	for _, s := range specs {
		if _, err := s.variant(); err != nil {
			t.Fatal(err)
		}
		if s.Target == "sm_90" {
			seen[s.File+"|"+s.Kind] = true
		}
	}
	for _, want := range []string{"scan.cu|select", "scan.cu|scores", "scan_wgmma_v5.cu|scan", "topk.cu|select", "reduce.cu|normalize4"} {
		if !seen[want] {
			t.Errorf("the manifest lists no %s kernel; want what a store loads", want)
		}
	}
	_, pack, err := shippedFiles()
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPack(specs, pack); err != nil {
		t.Fatal(err)
	}
}

// TestPack checks BuildPack, readPack and CheckPack with NVRTC (no GPU):
// a pack holds each spec's cubin under its name and is the same bytes
// built twice; a spec whose flags changed, a pack with a module no spec
// names and a damaged pack are reported.
func TestPack(t *testing.T) {
	testenv.Need(t, "nvrtc", loadNVRTC())
	vs := []variant{selectVariant(engine.Float32), normalizeVariant(engine.Float16)}
	var specs []KernelSpec
	for _, v := range vs {
		specs = append(specs, specOf(v, "sm_90"))
	}
	pack, err := BuildPack(specs)
	if err != nil {
		t.Fatal(err)
	}
	reversed := slices.Clone(specs)
	slices.Reverse(reversed)
	again, err := BuildPack(reversed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pack, again) {
		t.Error("two builds of the same specs differ")
	}
	mods, err := readPack(pack)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		name, err := specs[i].packName()
		if err != nil {
			t.Fatal(err)
		}
		code, _, err := v.build("sm_90", true, "", shippedStamp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := unpack(name, mods[name])
		if err != nil || !bytes.Equal(got, code) {
			t.Errorf("%s: the pack's module (%d bytes, %v) is not its cubin (%d bytes)", v, len(got), err, len(code))
		}
		z := bytes.Clone(mods[name])
		z[len(z)/2] ^= 0x10
		if _, err := unpack(name, z); err == nil {
			t.Errorf("%s: a module with a flipped bit unpacked without an error", v)
		}
	}
	if len(mods) != len(vs) {
		t.Errorf("pack of %d specs holds %d modules", len(vs), len(mods))
	}
	if err := CheckPack(specs, pack); err != nil {
		t.Errorf("CheckPack of its own specs: %v", err)
	}
	changed := slices.Clone(specs)
	changed[1].Defines = append(slices.Clone(changed[1].Defines), "EXTRA=1")
	if err := CheckPack(changed, pack); err == nil || !strings.Contains(err.Error(), "1 of 2 listed are not in the pack") ||
		!strings.Contains(err.Error(), specs[1].Name) || !strings.Contains(err.Error(), "1 in it are listed by none") {
		t.Errorf("CheckPack of a spec with another flag: %v; want it named as stale", err)
	}
	if err := CheckPack(specs[:1], pack); err == nil || !strings.Contains(err.Error(), "1 in it are listed by none") {
		t.Errorf("CheckPack of a pack with a module no spec lists: %v", err)
	}
	for what, bad := range map[string][]byte{"truncated": pack[:len(pack)/2], "empty": nil, "of another version": []byte("silica-cuda-pack-1\n")} {
		if _, err := readPack(bad); err == nil {
			t.Errorf("%s pack read without an error", what)
		}
	}
}

// TestSpecNames checks that a spec whose fields do not make its name, or
// whose target is not a real architecture, is refused.
func TestSpecNames(t *testing.T) {
	s := specOf(selectVariant(engine.Float16), "sm_90")
	if _, err := s.variant(); err != nil {
		t.Fatal(err)
	}
	bad := s
	bad.DType = "float32"
	if _, err := bad.variant(); err == nil || !strings.Contains(err.Error(), "its fields name it") {
		t.Errorf("a spec of another dtype than its name: %v", err)
	}
	bad = s
	bad.Target = "compute_90"
	if _, err := bad.variant(); err == nil || !strings.Contains(err.Error(), "want a real architecture") {
		t.Errorf("a spec for PTX: %v", err)
	}
	bad = s
	bad.DType = "float33"
	if _, err := bad.variant(); err == nil {
		t.Error("a spec of an unknown dtype was taken")
	}
}

// TestLister checks a kernel lister (NewLister) without a GPU: function
// lists a variant and returns no function, launchN launches nothing for
// it, Kernels lists it, and every call that needs a device fails; a
// lister of no real GPU is refused.
func TestLister(t *testing.T) {
	testenv.Need(t, "nvrtc", loadNVRTC())
	b, err := NewLister(90, 132, 227<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.d.arch != "sm_90" || !b.d.cubin {
		t.Errorf("lister of cc 90 targets %s (cubin %t); want sm_90 cubins", b.d.arch, b.d.cubin)
	}
	v := selectVariant(engine.Float32)
	b.d.dry = true
	fn, err := b.d.function(v, "topk_select")
	if err != nil || fn != 0 {
		t.Fatalf("function while listing: %#x, %v; want 0 and no error", fn, err)
	}
	for _, m := range b.d.mods {
		if m.handle != 0 {
			t.Errorf("a lister loaded %s", m.v)
		}
	}
	var a argPack
	if err := b.d.launchN("x", fn, [3]int{1}, [3]int{32}, 100<<10, &a); err != nil {
		t.Errorf("launchN of a listed kernel: %v", err)
	}
	b.d.dry = false
	if got := b.Kernels(); len(got) != 1 || got[0].Name != v.String() || got[0].Target != "sm_90" {
		t.Errorf("Kernels: %+v; want %s for sm_90", got, v)
	}
	if _, err := b.Alloc(1024); err == nil || !strings.Contains(err.Error(), "has no device") {
		t.Errorf("Alloc of a lister: %v; want its error", err)
	}
	if err := b.Synchronize(); err == nil {
		t.Error("Synchronize of a lister: no error")
	}
	if _, err := NewLister(90, 0, 227<<10); err == nil {
		t.Error("a lister of 0 SMs was made")
	}
}

// TestShippedLoads checks on a GPU that a shipped kernel loads with no
// kernel cache and no NVRTC compile (and compiles when
// SILICA_CUDA_SHIPPED=off), and that searches of a store of a shipped
// shape right after its rows are in compile nothing and are exact.
func TestShippedLoads(t *testing.T) {
	t.Setenv(cudaCacheEnv, "off")
	b := openTest(t)
	var mine []KernelSpec
	for _, s := range shippedSpecs(t) {
		if s.Target == b.d.arch && b.d.cubin {
			mine = append(mine, s)
		}
	}
	testenv.Need(t, "a GPU of the shipped architecture", func() error {
		if len(mine) == 0 {
			return errNoShipped(b.d.arch)
		}
		return nil
	}())
	var compiles []string
	engine.SetProgress(func(m string) {
		if strings.Contains(m, "compiling kernel") {
			compiles = append(compiles, m)
		}
	})
	defer engine.SetProgress(nil)
	for _, i := range testenv.Sample(t, len(mine), nil, 12) {
		v, err := mine[i].variant()
		if err != nil {
			t.Fatal(err)
		}
		err = b.do(func() error {
			h, err := b.d.load(v)
			if err == nil {
				cuModuleUnload(h)
			}
			return err
		})
		if err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	if len(compiles) != 0 {
		t.Errorf("loading shipped kernels compiled %d: %q", len(compiles), compiles)
	}
	shippedStoreSearches(t, b, &compiles)
	t.Setenv(shippedEnv, "off")
	compiles = nil
	v, _ := mine[0].variant()
	if err := b.do(func() error { _, err := b.d.load(v); return err }); err != nil {
		t.Fatal(err)
	}
	if len(compiles) != 1 {
		t.Errorf("with %s=off a kernel compiled %d times; want once", shippedEnv, len(compiles))
	}
}

type errNoShipped string

func (e errNoShipped) Error() string {
	return "the build ships no kernels for " + string(e)
}

// shippedStoreSearches adds 2000 random rows of 768 float16 values to a
// cosine store on b and searches them, one query and 64, at k = 10 and
// 100: nothing compiles (a shape the manifest lists) and the hits are
// k distinct rows of the float64 top k of the rows as stored, within the
// float16 rounding of the queries, with their float64 scores.
func shippedStoreSearches(t *testing.T, b *Backend, compiles *[]string) {
	const n, dim = 2000, 768
	st, err := store.New(store.Options{Dim: dim, DType: engine.Float16, Engine: engine.New("cuda", b)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(36, 1))
	rows := make([][]float32, n)
	ids := make([]int64, n)
	for i := range rows {
		ids[i] = rng.Int64()
		rows[i] = make([]float32, dim)
		for j := range rows[i] {
			rows[i][j] = float32(rng.NormFloat64())
		}
	}
	if err := st.Add(ids, rows); err != nil {
		t.Fatal(err)
	}
	stored := make([][]float32, n) // the rows as the store keeps them (unit, float16)
	for i := range rows {
		if stored[i], err = st.Get(ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	*compiles = nil
	for _, m := range []int{1, 64} {
		for _, k := range []int{10, 100} {
			qs := make([][]float32, m)
			for i := range qs {
				qs[i] = make([]float32, dim)
				for j := range qs[i] {
					qs[i][j] = float32(rng.NormFloat64())
				}
			}
			res, err := st.SearchBatch(qs, k)
			if err != nil {
				t.Fatal(err)
			}
			for i, hits := range res {
				score, kth := cosines(qs[i], stored, ids, k)
				seen := map[int64]bool{}
				for _, h := range hits {
					// The scans of many queries round them to float16:
					// a hit may trade places with another within that.
					if sc, ok := score[h.ID]; !ok || seen[h.ID] || sc < kth-1e-4 || math.Abs(sc-float64(h.Score)) > 1e-4 {
						t.Fatalf("%d queries at k = %d, query %d: hit %d (score %g, float64 %g) is not among the best %d (the %d-th: %g)",
							m, k, i, h.ID, h.Score, sc, k, k, kth)
					}
					seen[h.ID] = true
				}
				if len(hits) != k {
					t.Fatalf("%d queries at k = %d, query %d: %d hits", m, k, i, len(hits))
				}
			}
		}
	}
	if len(*compiles) != 0 {
		t.Errorf("a store's searches of a shipped shape compiled %d kernels: %q", len(*compiles), *compiles)
	}
}

// cosines returns the float64 cosine of q with each row, by id, and the
// k-th best of them.
func cosines(q []float32, rows [][]float32, ids []int64, k int) (map[int64]float64, float64) {
	var qq float64
	for _, v := range q {
		qq += float64(v) * float64(v)
	}
	score := make(map[int64]float64, len(rows))
	all := make([]float64, len(rows))
	for i, r := range rows {
		var dot, rr float64
		for j, v := range r {
			dot += float64(v) * float64(q[j])
			rr += float64(v) * float64(v)
		}
		all[i] = dot / math.Sqrt(qq*rr)
		score[ids[i]] = all[i]
	}
	slices.Sort(all)
	return score, all[len(all)-k]
}
