package cuda

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/silica-go/silica/cuda/cudatest"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// v4Sweep and v5Sweep are cudatest's tilings of the tensor-core scan
// besides the defaults (cudatest.V4Tilings, V5Tilings), parsed.
var v4Sweep, v5Sweep = parseSweep(cudatest.V4Tilings), parseSweep(cudatest.V5Tilings)

func parseSweep(tilings []string) []v4Config {
	out := make([]v4Config, len(tilings))
	for i, s := range tilings {
		c, err := parseV4(v4Config{}, s)
		if err != nil {
			panic(err)
		}
		out[i] = c
	}
	return out
}

// TestConfig checks the Config read from the environment and its
// checks: the scan versions, the tiling overrides, and errors that name
// the variable and the value.
func TestConfig(t *testing.T) {
	for _, env := range []string{"", "v4", "v5"} {
		t.Setenv(scanVersionEnv, env)
		t.Setenv(v4ConfigEnv, "bn=128")
		c := ConfigFromEnv()
		if c != (Config{Scan: env, Tiling: "bn=128"}) {
			t.Errorf("%s=%q: %+v", scanVersionEnv, env, c)
		}
		if err := c.check(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, bad := range []string{"v3", "v6"} {
		err := Config{Scan: bad}.check()
		if err == nil || !strings.Contains(err.Error(), scanVersionEnv) || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("scan %s: error %v, want one naming %s and the value", bad, err, scanVersionEnv)
		}
		if _, err2 := NewConfig(0, Config{Scan: bad}); err != nil && (err2 == nil || err2.Error() != err.Error()) {
			t.Errorf("NewConfig with scan %s: %v, want %v before any device is opened", bad, err2, err)
		}
	}
	for _, bad := range []string{"bm=32", "tile=3", "wg=1,stages=2"} {
		if err := (Config{Tiling: bad}).check(); err == nil || !strings.Contains(err.Error(), v4ConfigEnv) {
			t.Errorf("tiling %q: error %v, want one naming %s", bad, err, v4ConfigEnv)
		}
	}
}

// TestParseV4 checks the tiling overrides and their errors, and that every
// tiling the device script times fits an H100 block's shared memory.
func TestParseV4(t *testing.T) {
	c, err := parseV4(defaultV4(1024), " bn=128, stages=6,pf=1 ")
	if err != nil || c != (v4Config{bm: 128, bn: 128, bkb: 128, stages: 6, pf: true}) {
		t.Errorf("parse: %+v, %v", c, err)
	}
	if c, err := parseV4(defaultV4(64), "wg=1,stages=5"); err != nil || c != (v4Config{bm: 64, bn: 256, bkb: 64, stages: 5, wg: true}) {
		t.Errorf("parse wg: %+v, %v", c, err)
	}
	for _, bad := range []string{"bm=32", "bn=512", "bkb=32", "stages=1", "stages=9", "tile=3", "bm", "bm=x",
		"wg=1,stages=2", "swz=1,wg=0", "mb=3", "mb=-1"} {
		if _, err := parseV4(defaultV4(1), bad); err == nil || !strings.Contains(err.Error(), v4ConfigEnv) {
			t.Errorf("%q: error %v, want one naming %s", bad, err, v4ConfigEnv)
		}
	}
	const h100 = 232448 // cudaDevAttrMaxSharedMemoryPerBlockOptin on an H100
	all := append([]v4Config{defaultV4(1), defaultV4(1024), defaultV5(1, false), defaultV5(1024, true)}, v4Sweep...)
	for _, c := range append(all, v5Sweep...) {
		if rt, err := parseV4(defaultV4(1), c.String()); err != nil || rt != c {
			t.Errorf("%s does not read back: %+v, %v", c, rt, err)
		}
		if c.smem() > h100 {
			t.Errorf("%s needs %d bytes of shared memory, an H100 block has %d", c, c.smem(), h100)
		}
	}
}

// TestV4Grid checks the split of a search into blocks and the buffer
// size: the parts cover the rows exactly, each a multiple of bn, and a
// buffer always has room for the kk best plus one tile's keys plus as
// much again.
func TestV4Grid(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for range 2000 {
		all := append(append([]v4Config{defaultV4(1), defaultV4(1024), defaultV5(1, false), defaultV5(1024, true)}, v4Sweep...), v5Sweep...)
		c := all[rng.IntN(len(all))]
		m, n, sms := 1+rng.IntN(5000), 1+rng.IntN(3_000_000), 1+rng.IntN(200)
		kk := 1 + rng.IntN(2048)
		C := c.bufKeys(kk)
		if C < kk+c.bn+max(c.bn, kk) || C&(C-1) != 0 {
			t.Fatalf("%s kk %d: C = %d", c, kk, C)
		}
		nmt, parts, per := v4Grid(c, m, n, sms, C)
		if nmt*c.bm < m || (nmt-1)*c.bm >= m {
			t.Fatalf("%s m %d: %d query tiles", c, m, nmt)
		}
		if per%c.bn != 0 || parts*per < n || (parts-1)*per >= n {
			t.Fatalf("%s n %d sms %d: %d parts of %d rows", c, n, sms, parts, per)
		}
		if parts > 1 && nmt*parts*c.bm*C*8 > 512<<20 {
			t.Fatalf("%s m %d kk %d: %d parts, buffers of %d bytes", c, m, kk, parts, nmt*parts*c.bm*C*8)
		}
	}
}

// TestSearchV4Tilings runs the v4 scan on the GPU in its default tilings
// and one other the device script times (every one with
// SILICA_EXHAUSTIVE=1), against float64.
func TestSearchV4Tilings(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	rng := rand.New(rand.NewPCG(5, 8))
	tilings := append([]v4Config{defaultV4(1), defaultV4(1024)}, v4Sweep...)
	for _, i := range testenv.Sample(t, len(tilings), []int{0, 1}, 1) {
		c := tilings[i]
		if err := b.SetConfig(Config{Scan: "v4", Tiling: c.String()}); err != nil {
			t.Fatal(err)
		}
		for _, sc := range []searchCase{
			{200, 5003, 256, 100, engine.Float16, false},
			{131, 4099, 192, 30, engine.Float32, true},
		} {
			checkSearch(t, e, rng, sc, nil)
		}
	}
	if !moduleLoaded(b, "scan_mma_v4.cu") {
		t.Fatal("scan v4 and no scan_mma_v4 kernel was loaded")
	}
}

// TestSearchV5Tilings checks the wgmma scan (Config.Scan v5) in its
// default tilings and one other the benchmark times (every one with
// SILICA_EXHAUSTIVE=1) against float64, as
// TestSearchV4Tilings does for v4; it needs a Hopper GPU.
func TestSearchV5Tilings(t *testing.T) {
	b := openTest(t)
	var ok bool
	b.do(func() error { ok = b.d.wgmmaOK(); return nil })
	if !ok {
		testenv.Need(t, "sm_90a", errors.New("the wgmma scan needs compute capability 9.0 and an NVRTC that builds sm_90a"))
	}
	e := engine.New("cuda", b)
	rng := rand.New(rand.NewPCG(6, 9))
	tilings := append([]v4Config{defaultV5(1, false), defaultV5(1024, true)}, v5Sweep...)
	for _, i := range testenv.Sample(t, len(tilings), []int{0, 1}, 1) {
		c := tilings[i]
		if err := b.SetConfig(Config{Scan: "v5", Tiling: c.String()}); err != nil {
			t.Fatal(err)
		}
		for _, sc := range []searchCase{
			{200, 5003, 256, 100, engine.Float16, false},
			{131, 4099, 192, 30, engine.Float32, true},
			{40, 3001, 136, 7, engine.BFloat16, true},
		} {
			checkSearch(t, e, rng, sc, nil)
		}
	}
	if !moduleLoaded(b, "scan_wgmma_v5.cu") {
		t.Fatal("scan v5 and no scan_wgmma_v5 kernel was loaded")
	}
}

// moduleLoaded reports whether a variant of kernel file has been loaded.
func moduleLoaded(b *Backend, file string) bool {
	found := false
	b.do(func() error {
		for k := range b.d.mods {
			if strings.HasPrefix(k, file+"|") {
				found = true
			}
		}
		return nil
	})
	return found
}

// TestFitV4 checks the tilings of devices with less shared memory a
// block than Hopper: each default where it fits, else the largest of
// smallerV4 that fits with query tiles no taller, each of those fitting
// the device it is for; the wgmma tilings (Hopper only) unchanged.
func TestFitV4(t *testing.T) {
	for _, c := range []struct {
		name string
		m    int
		smem int
		want v4Config
	}{
		{"H100, 64 queries", 64, 227 << 10, defaultV4(64)},
		{"H100, 1024 queries", 1024, 227 << 10, defaultV4(1024)},
		{"A100, 64 queries", 64, 163 << 10, defaultV4(64)},
		{"A100, 1024 queries", 1024, 163 << 10, smallerV4[0]},
		{"L4, 64 queries", 64, 99 << 10, smallerV4[2]},
		{"L4, 1024 queries", 1024, 99 << 10, smallerV4[1]},
		{"64 KiB, 64 queries", 64, 64 << 10, smallerV4[3]},
		{"64 KiB, 1024 queries", 1024, 64 << 10, smallerV4[3]},
		{"32 KiB: none fits", 1024, 32 << 10, defaultV4(1024)},
	} {
		got := fitV4(defaultV4(c.m), c.smem)
		if got != c.want {
			t.Errorf("%s: %s; want %s", c.name, got, c.want)
		}
		if c.name != "32 KiB: none fits" && got.smem() > c.smem {
			t.Errorf("%s: %s needs %d bytes, the device has %d", c.name, got, got.smem(), c.smem)
		}
	}
	if w := defaultV5(1024, true); fitV4(w, 64<<10) != w {
		t.Error("a wgmma tiling was replaced")
	}
}
