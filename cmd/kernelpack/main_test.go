package main

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/silica-go/silica/cuda"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
	src "github.com/silica-go/silica/kernels/cuda"
	"github.com/silica-go/silica/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestManifestCovers runs list's work for stores of 2000 rows of 384 and
// 1536 values (every dtype and metric, every k and batch size of list's
// defaults) through the kernel listers of every GPU of gpus and checks that the shipped manifest
// lists every kernel it listed and that nothing compiled: a change to
// which kernels the CUDA backend launches for a store fails here until
// `kernelpack list` and `kernelpack build` have run again.
func TestManifestCovers(t *testing.T) {
	b, err := newListing(gpus)
	testenv.Need(t, "nvrtc", err)
	var shipped []cuda.KernelSpec
	if err := json.Unmarshal(src.ShippedManifest(), &shipped); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, s := range shipped {
		have[specKey(t, s)] = true
	}
	compiles := 0
	engine.SetProgress(func(m string) {
		if strings.Contains(m, "compiling kernel") {
			compiles++
		}
	})
	defer engine.SetProgress(nil)
	e := engine.New("cuda-lister", b)
	defer e.Close()
	rng := rand.New(rand.NewPCG(36, 2))
	ks, batches := ints(defaultK), ints(defaultBatches)
	for _, dt := range []engine.DType{engine.Float32, engine.Float16, engine.Int8} {
		for _, metric := range []store.Metric{store.Cosine, store.Dot, store.L2} {
			for _, dim := range []int{384, 1536} {
				if err := listStore(e, rng, dt, metric, dim, 2000, ks, batches, dim == 384, t.TempDir()); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	listed := b.kernels()
	if len(listed) < 20*len(gpus) {
		t.Fatalf("the lister listed %d kernels; want the scans, selects and writes of every dtype", len(listed))
	}
	for _, s := range listed {
		if !have[specKey(t, s)] {
			t.Errorf("kernel %s is not in kernels/cuda/shipped/manifest.json; run go run ./cmd/kernelpack list, then build", s.Name)
		}
	}
	if compiles != 0 {
		t.Errorf("listing compiled %d kernels; want none", compiles)
	}
}

func specKey(t *testing.T, s cuda.KernelSpec) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestListerArch checks that the lister chooses for its device: a batch
// of 64 float16 queries at k = 10 lists the wgmma scan (sm_90a) on an
// sm_90 lister, mma.sync's default tiling on an sm_80 one, a tiling that
// fits 99 KiB of shared memory a block on an sm_86 one, and no
// tensor-core scan on an sm_75 one (no cp.async).
func TestListerArch(t *testing.T) {
	for _, c := range []struct {
		cc, sms, smem int
		want          string
	}{
		{90, 132, 227 << 10, "scan_wgmma_v5_scan_float16_ss0_bm64_bn256"},
		{80, 108, 163 << 10, "scan_mma_v4_scan_float16_ss0_bm64_bn256"},
		{86, 72, 99 << 10, "scan_mma_v4_scan_float16_ss0_bm64_bn128"},
		{75, 40, 64 << 10, ""},
	} {
		b, err := newListing([]gpu{{"test", c.cc, c.sms, c.smem}})
		testenv.Need(t, "nvrtc", err)
		e := engine.New("cuda-lister", b)
		st, err := store.New(store.Options{Dim: 256, DType: engine.Float16, Engine: e})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, uint64(c.cc)))
		if err := fill(st, rng, 3000, 256); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SearchBatch(randQueries(rng, 64, 256), 10); err != nil {
			t.Fatalf("cc %d: %v", c.cc, err)
		}
		var scans []string
		for _, s := range b.kernels() {
			if strings.HasPrefix(s.Name, "scan_wgmma") || strings.HasPrefix(s.Name, "scan_mma") {
				scans = append(scans, s.Name)
			}
			if s.Target != "sm_"+strconv.Itoa(c.cc) {
				t.Errorf("cc %d: %s listed for %s", c.cc, s.Name, s.Target)
			}
		}
		if c.want == "" && len(scans) > 0 || c.want != "" && (len(scans) != 1 || !strings.HasPrefix(scans[0], c.want)) {
			t.Errorf("cc %d: tensor-core scans listed for 64 float16 queries: %q; want %q", c.cc, scans, c.want)
		}
		st.Close()
		e.Close()
	}
}
