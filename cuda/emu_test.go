package cuda

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/testenv"
)

// The tensor-core scans v4 and v5 run here on the CPU: scan_mma_v4.cu or
// scan_wgmma_v5.cu, with the prelude and scan_tc.cuh, is compiled as C++ against testdata/emu/cuda_emu.h (threads of
// a block are fibers on one OS thread with real barriers, run in a random
// order between them; ldmatrix, mma.sync, cp.async and the TF32 rounding
// follow the PTX ISA) and its candidates are checked against float64. No
// GPU is needed; a race or a wrong index shows here.

// emuCompiler finds a C++20 compiler: SILICA_CLANG (.ci/setup.d/10-clang.sh),
// else clang++-19 down to clang++-15, clang++ or g++ on PATH.
func emuCompiler() (string, error) {
	cands := []string{os.Getenv("SILICA_CLANG")}
	for v := 19; v >= 15; v-- {
		cands = append(cands, "clang++-"+strconv.Itoa(v))
	}
	cands = append(cands, "clang++", "g++")
	for _, c := range cands {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no C++ compiler (clang++ or g++) on PATH; .ci/setup.d/10-clang.sh installs clang-15")
}

// buildEmu compiles the emulator program of the tensor-core scan in
// tiling c, variant v (cached by content under the user's cache folder),
// and returns its path.
func buildEmu(t *testing.T, v variant, c v4Config) string {
	t.Helper()
	return buildEmuMain(t, v, "scan_v4_main.cpp", "EMU_KERNEL="+c.kernel())
}

// buildEmuMain compiles testdata/emu/mainFile, which includes kernel.cu
// (v's file with the prelude and any generated code, as NVRTC compiles
// it), for v's defines and the further defines defs.
func buildEmuMain(t *testing.T, v variant, mainFile string, defs ...string) string {
	t.Helper()
	cxx, err := emuCompiler()
	testenv.Need(t, "clang", err)
	kernel, err := v.source()
	if err != nil {
		t.Fatal(err)
	}
	header, err := os.ReadFile("testdata/emu/cuda_emu.h")
	if err != nil {
		t.Fatal(err)
	}
	// The fibers' switch, shared with the MSL harness's runtime.
	fibers, err := os.ReadFile("../kernels/msltest/runtime/fiber_switch.h")
	if err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join("testdata/emu", mainFile))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-std=c++20", "-O1", "-w", "-ffp-contract=off"}
	for _, d := range append(slices.Clip(v.defines), defs...) {
		args = append(args, "-DSIL_"+d)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s", cxx, strings.Join(args, " "), kernel, header, fibers, main)
	key := hex.EncodeToString(h.Sum(nil))[:24]
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "silica", "cudaemu")
	exe := filepath.Join(dir, strings.TrimSuffix(mainFile, "_main.cpp")+"-"+v.String()+"-"+key)
	if _, err := os.Stat(exe); err == nil {
		return exe
	}
	work := t.TempDir()
	for name, body := range map[string][]byte{"cuda_emu.h": header, "fiber_switch.h": fibers, mainFile: main, "kernel.cu": []byte(kernel)} {
		if err := os.WriteFile(filepath.Join(work, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(work, "emu")
	cmd := exec.Command(cxx, append(args, "-o", out, filepath.Join(work, mainFile))...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s does not build in the emulator: %v\n%s", v, err, msg)
	}
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if raw, err := os.ReadFile(out); err == nil {
			tmp := exe + ".tmp" + strconv.Itoa(os.Getpid())
			if os.WriteFile(tmp, raw, 0o755) == nil && os.Rename(tmp, exe) == nil {
				return exe
			}
		}
	}
	return out
}

// appendStored appends f to in as the emulator programs read an element
// of dt (float32, or bfloat16 cut from float32: their f16 conversion is
// PTX) and returns the bytes and the value stored.
func appendStored(in []byte, dt engine.DType, f float32) ([]byte, float32) {
	if dt == engine.BFloat16 {
		bits := uint16(math.Float32bits(f) >> 16)
		return binary.LittleEndian.AppendUint16(in, bits), math.Float32frombits(uint32(bits) << 16)
	}
	return binary.LittleEndian.AppendUint32(in, math.Float32bits(f)), f
}

// emuCase is one run of the v4 kernel in the emulator.
type emuCase struct {
	name           string
	dt             engine.DType
	cfg            v4Config
	m, n, d, kk    int
	sms            int  // the grid is v4Grid's for a device of this many SMs
	tight          bool // C = kk + bn: every buffer is cut back after every tile
	normB, largest bool
	qscale         bool
	dupRows        int     // > 0: x has only this many distinct rows (ties)
	nanRows        int     // rows of x that are all NaN
	keep           float64 // > 0: a masked scan (MASK=1), each row passing with this probability
	step           int     // > 1: the scan reads every step-th row of x (a seed's sample)
	seeded         bool    // thresholds seeded (every fifth query's NaN: all pass); lists of L keys
	L              int
	worstSeeds     bool // seeded and masked: every seed the worst score, so every block returns at once, listing nothing
}

// TestScanV4Emulated runs the v4 kernel on the CPU for each dtype and
// tiling (by default a case in a default tiling for each main loop, one
// float16 and one float32, the masked cases and one drawn at random;
// every case with SILICA_EXHAUSTIVE=1, CI's sweep step)
// and checks every part's candidates against float64: the best kk
// of the part's rows (ties of equal scores accepted), EMPTY_KEY padding
// where a part has fewer rows, and the largest row norm.
func TestScanV4Emulated(t *testing.T) {
	t.Parallel() // CPU-bound and long: beside the others, not after them
	if testing.Short() {
		t.Log("the emulator runs a block as 256 threads")
		testenv.SkipBecause(t, "-short")
	}
	def, small := defaultV4(1024), defaultV4(64)
	w1024, w64 := defaultV5(1024, true), defaultV5(64, true)
	cases := []emuCase{
		{name: "f16 two query tiles, cut back every tile", dt: engine.Float16, cfg: def, m: 131, n: 1500, d: 64, kk: 10, sms: 4, tight: true, largest: true},
		{name: "f16 default buffers, smallest", dt: engine.Float16, cfg: def, m: 70, n: 2100, d: 96, kk: 20, sms: 2, largest: false, qscale: true},
		{name: "bf16 normB, ties", dt: engine.BFloat16, cfg: def, m: 20, n: 1300, d: 64, kk: 16, sms: 2, tight: true, normB: true, largest: true, dupRows: 7},
		{name: "tf32 64-query tiles, d not a multiple of the stage", dt: engine.Float32, cfg: small, m: 64, n: 1000, d: 100, kk: 30, sms: 2, tight: true, largest: true, qscale: true},
		{name: "tf32 k above the rows of a part", dt: engine.Float32, cfg: small, m: 5, n: 300, d: 32, kk: 200, sms: 2, largest: true},
		{name: "f16 NaN rows", dt: engine.Float16, cfg: small, m: 9, n: 700, d: 64, kk: 40, sms: 1, tight: true, largest: true, nanRows: 30},
		{name: "f16 bkb128 bn128", dt: engine.Float16, cfg: v4Config{bm: 128, bn: 128, bkb: 128, stages: 3, pf: true}, m: 129, n: 900, d: 192, kk: 12, sms: 2, tight: true, largest: true},
		// The smaller tilings of devices with less shared memory a block
		// than Hopper (smallerV4, fitV4).
		{name: "tf32 A100's 64-byte stages, 128 x 256", dt: engine.Float32, cfg: smallerV4[0], m: 100, n: 1400, d: 100, kk: 20, sms: 2, tight: true, largest: true, qscale: true},
		{name: "f16 99 KiB, 128 x 128", dt: engine.Float16, cfg: smallerV4[1], m: 131, n: 1100, d: 96, kk: 15, sms: 3, largest: true},
		{name: "tf32 99 KiB, 64 x 128", dt: engine.Float32, cfg: smallerV4[2], m: 40, n: 900, d: 72, kk: 25, sms: 2, tight: true, largest: true},
		{name: "f16 64 KiB, 64 x 128, 3 stages, ties", dt: engine.Float16, cfg: smallerV4[3], m: 30, n: 800, d: 64, kk: 12, sms: 2, tight: true, largest: true, dupRows: 5},
		// v5: the wgmma loop.
		{name: "wg f16 two query tiles, cut back every tile", dt: engine.Float16, cfg: w1024, m: 131, n: 1500, d: 200, kk: 10, sms: 4, tight: true, largest: true},
		{name: "wg bf16 normB, ties, smallest", dt: engine.BFloat16, cfg: w1024, m: 20, n: 1300, d: 64, kk: 16, sms: 2, tight: true, normB: true, dupRows: 7, qscale: true},
		{name: "wg tf32 64-query tiles, d not a multiple of the stage", dt: engine.Float32, cfg: w64, m: 64, n: 1000, d: 100, kk: 30, sms: 2, tight: true, largest: true, qscale: true},
		{name: "wg tf32 k above the rows of a part, 3 stages", dt: engine.Float32, cfg: v4Config{bm: 128, bn: 256, bkb: 64, stages: 3, wg: true}, m: 5, n: 300, d: 72, kk: 200, sms: 2, largest: true},
		{name: "wg f16 NaN rows, bn128", dt: engine.Float16, cfg: v4Config{bm: 128, bn: 128, bkb: 64, stages: 5, wg: true}, m: 9, n: 700, d: 64, kk: 40, sms: 1, tight: true, largest: true, nanRows: 30},
		{name: "wg swizzled 128-byte rows, f16", dt: engine.Float16, cfg: v4Config{bm: 128, bn: 256, bkb: 128, stages: 4, wg: true, swz: true}, m: 131, n: 1100, d: 200, kk: 10, sms: 2, tight: true, largest: true},
		{name: "wg 64 x 64 warpgroup tiles, two blocks an SM", dt: engine.Float16, cfg: v4Config{bm: 64, bn: 128, bkb: 128, stages: 4, wg: true, swz: true, mb: 2}, m: 70, n: 1000, d: 136, kk: 9, sms: 2, tight: true, largest: true},
		{name: "wg swizzled 64-byte rows, tf32, 64 queries", dt: engine.Float32, cfg: v4Config{bm: 64, bn: 256, bkb: 64, stages: 6, wg: true, swz: true}, m: 50, n: 900, d: 100, kk: 30, sms: 2, tight: true, largest: true, qscale: true},
		// Masked scans (MASK=1), run by default too: failing rows score the
		// worst; few passing rows leave parts with fewer than kk.
		{name: "wg f16 masked, 1% pass", dt: engine.Float16, cfg: defaultV5(64, false), m: 40, n: 1500, d: 64, kk: 12, sms: 2, largest: true, keep: 0.01},
		{name: "tf32 masked, 40% pass, smallest", dt: engine.Float32, cfg: small, m: 20, n: 1000, d: 100, kk: 30, sms: 2, tight: true, qscale: true, keep: 0.4},
		// kk past a tile's rows: a part's few passing rows leave its
		// buffers to fill with failing rows over more than one tile.
		{name: "wg f16 masked, 2% pass, kk past a tile", dt: engine.Float16, cfg: defaultV5(64, false), m: 20, n: 3000, d: 64, kk: 300, sms: 2, largest: true, keep: 0.02},
		// Seeds (cuda/seed.go): a scan of every step-th row, and scans whose
		// thresholds start seeded and whose keys go to lists.
		{name: "wg f16 sample of every 7th row", dt: engine.Float16, cfg: defaultV5(64, false), m: 20, n: 3000, d: 64, kk: 24, sms: 2, largest: true, step: 7},
		{name: "wg f16 seeded, lists overflow", dt: engine.Float16, cfg: defaultV5(64, false), m: 40, n: 1500, d: 64, sms: 2, largest: true, seeded: true, L: 600},
		{name: "wg tf32 seeded, smallest", dt: engine.Float32, cfg: defaultV5(1024, true), m: 70, n: 1300, d: 100, sms: 2, qscale: true, seeded: true, L: 1300},
		{name: "f16 seeded, masked, 30% pass", dt: engine.Float16, cfg: small, m: 30, n: 1200, d: 64, sms: 3, largest: true, seeded: true, L: 1000, keep: 0.3, dupRows: 50},
		{name: "tf32 sample of every 5th row, masked", dt: engine.Float32, cfg: small, m: 20, n: 2000, d: 100, kk: 16, sms: 2, largest: true, keep: 0.5, step: 5},
		{name: "wg f16 seeded, masked, every seed the worst", dt: engine.Float16, cfg: defaultV5(64, false), m: 70, n: 1500, d: 64, sms: 2, largest: true, seeded: true, L: 1000, keep: 0.3, worstSeeds: true},
	}
	// Each case draws its data from its own seed, so that a subset runs
	// the same data as the whole sweep.
	// The default run keeps the float16 case of mma.sync's default tiling,
	// the float32 (TF32) one of wgmma's and the masked ones (a float32 on
	// mma.sync, a float16 on wgmma); the exhaustive run (CI's sweep step,
	// on every CI run) runs all.
	var keep []int
	for _, i := range defaultTilings(cases) {
		if c := cases[i]; (c.dt == engine.Float16 && !c.cfg.wg) || (c.dt == engine.Float32 && c.cfg.wg) {
			keep = append(keep, i)
		}
	}
	// Of the seeds' cases, the default run keeps the masked sample
	// (mma.sync, TF32) and the wgmma float16 seeded scans.
	for i, c := range cases {
		if ((c.keep > 0 && !c.seeded) || (c.seeded && c.cfg.wg && c.dt == engine.Float16)) && !slices.Contains(keep, i) {
			keep = append(keep, i)
		}
	}
	for _, i := range testenv.Sample(t, len(cases), keep, 0) {
		c := cases[i]
		t.Run(c.name, func(t *testing.T) { runEmuCase(t, rand.New(rand.NewPCG(17, uint64(i))), c, uint64(i+1)) })
	}
}

// defaultTilings returns, for each dtype and main loop (mma.sync,
// wgmma), the first case in a tiling the backend picks by default
// (defaultV4, defaultV5): every run of the emulator test keeps those,
// and testenv.Sample draws from the others.
func defaultTilings(cases []emuCase) []int {
	type loop struct {
		dt engine.DType
		wg bool
	}
	seen := map[loop]bool{}
	var keep []int
	for i, c := range cases {
		l := loop{c.dt, c.cfg.wg}
		for _, d := range []v4Config{defaultV4(1), defaultV4(1024), defaultV5(1, false), defaultV5(1024, true)} {
			if c.cfg == d && !seen[l] {
				seen[l] = true
				keep = append(keep, i)
			}
		}
	}
	return keep
}

func runEmuCase(t *testing.T, rng *rand.Rand, c emuCase, seed uint64) {
	ss := "0"
	if c.normB || c.dt == engine.Float32 {
		ss = "1"
	}
	v := v4Variant(c.dt, ss, c.cfg)
	if c.keep > 0 {
		v = v.masked()
	}
	exe := buildEmu(t, v, c.cfg)
	C := c.cfg.bufKeys(c.kk)
	if c.tight {
		C = c.kk + c.cfg.bn
	}
	switch {
	case c.seeded:
		C = c.cfg.bn + seedFlushAt // as mmaScanV4 sets them
	case c.step > 1:
		C = c.kk + c.cfg.bn
	}
	step := max(1, c.step)
	ns := (c.n + step - 1) / step // the rows the scan reads: row r is x's row r*step
	nmt, parts, per := v4Grid(c.cfg, c.m, ns, c.sms, C)
	qf := make([]float32, c.m*c.d)
	for i := range qf {
		qf[i] = float32(rng.NormFloat64())
	}
	xf := make([]float32, c.n*c.d)
	for r := range c.n {
		src := r
		if c.dupRows > 0 {
			src = r % c.dupRows
		}
		for j := range c.d {
			if src == r {
				xf[r*c.d+j] = float32(rng.NormFloat64())
			} else {
				xf[r*c.d+j] = xf[src*c.d+j]
			}
		}
	}
	nan := map[int]bool{}
	for len(nan) < c.nanRows {
		r := rng.IntN(c.n)
		nan[r] = true
		for j := range c.d {
			xf[r*c.d+j] = float32(math.NaN())
		}
	}
	qb, err := engine.EncodeFloat32(c.dt, qf)
	if err != nil {
		t.Fatal(err)
	}
	xb, err := engine.EncodeFloat32(c.dt, xf)
	if err != nil {
		t.Fatal(err)
	}
	qv, xv := engine.DecodeFloat32(c.dt, qb), engine.DecodeFloat32(c.dt, xb)
	qs := make([]float32, c.m)
	for i := range qs {
		qs[i] = 1
		if c.qscale {
			qs[i] = float32(0.5 + rng.Float64())
		}
	}
	hdr := []int64{int64(c.m), int64(ns), int64(c.d), int64(per), b2i(c.normB), b2i(c.largest), int64(c.kk), int64(C),
		int64(nmt), int64(parts), int64(seed), b2i(c.qscale), int64(c.n), int64(step), b2i(c.seeded), int64(c.L)}
	var in []byte
	for _, h := range hdr {
		in = binary.LittleEndian.AppendUint64(in, uint64(h))
	}
	in = append(append(in, qb...), xb...)
	for _, s := range qs {
		in = binary.LittleEndian.AppendUint32(in, math.Float32bits(s))
	}
	fails := map[int]bool{} // rows a masked scan scores the worst
	if c.keep > 0 {
		bits := make([]uint32, (c.n+31)/32)
		for r := range c.n {
			if rng.Float64() < c.keep {
				bits[r/32] |= 1 << (r % 32)
			} else {
				fails[r] = true
			}
		}
		for _, w := range bits {
			in = binary.LittleEndian.AppendUint32(in, w)
		}
	}
	// float64 reference: scores, row norms.
	xn := make([]float64, c.n)
	var maxNorm float64
	for r := range c.n {
		var s float64
		for _, v := range xv[r*c.d : (r+1)*c.d] {
			s += float64(v) * float64(v)
		}
		xn[r] = math.Sqrt(s)
		if !nan[r] && r%step == 0 {
			maxNorm = max(maxNorm, xn[r])
		}
	}
	qnorm := func(i int) float64 {
		var qn float64
		for _, v := range qv[i*c.d : (i+1)*c.d] {
			qn += float64(v) * float64(v)
		}
		return math.Sqrt(qn) * float64(qs[i])
	}
	// score is query i's float64 score of row r of the scan (x's row
	// r*step).
	score := func(i, r int) float64 {
		r *= step
		if fails[r] {
			if c.largest {
				return math.Inf(-1)
			}
			return math.Inf(1)
		}
		if nan[r] {
			return math.NaN()
		}
		var s float64
		for j := range c.d {
			s += float64(qv[i*c.d+j]) * float64(xv[r*c.d+j])
		}
		s *= float64(qs[i])
		if c.normB {
			s /= max(xn[r], 1e-12)
		}
		return s
	}
	better := func(a, b float64) bool { // a ranks ahead of b; NaN last
		switch {
		case math.IsNaN(a):
			return false
		case math.IsNaN(b):
			return true
		case c.largest:
			return a > b
		}
		return a < b
	}
	// Scores' error scale: |q| |x| (|q| for normB); TF32 rounds the inputs.
	rel := 1e-5
	if c.dt == engine.Float32 {
		rel = 2e-3
	}
	tolOf := func(qn float64, r int) float64 {
		if c.normB {
			return rel * qn
		}
		return rel * qn * max(xn[r*step], 1)
	}
	var thr []float32
	if c.seeded {
		for i := range c.m {
			th := float32(math.NaN())
			switch {
			case c.worstSeeds || i%5 == 3 && c.keep > 0: // a sample with too few passing rows: the worst score
				th = float32(math.Inf(1))
				if c.largest {
					th = float32(math.Inf(-1))
				}
			case i%5 != 4:
				ref := make([]float64, 0, ns)
				for r := range ns {
					if v := score(i, r); !math.IsNaN(v) && !math.IsInf(v, 0) {
						ref = append(ref, v)
					}
				}
				sort.SliceStable(ref, func(a, b int) bool { return better(ref[a], ref[b]) })
				th = float32(ref[rng.IntN(len(ref))])
			}
			thr = append(thr, th)
			in = binary.LittleEndian.AppendUint32(in, math.Float32bits(th))
		}
		out := runEmu(t, exe, in, c.m*4+c.m*c.L*8+4)
		if c.worstSeeds {
			for i := range c.m {
				if cnt := binary.LittleEndian.Uint32(out[4*i:]); cnt != 0 {
					t.Fatalf("query %d: %d keys listed, want none: every seed is the worst score", i, cnt)
				}
			}
			t.Logf("%s: m %d n %d: every seed the worst, no key listed", v, c.m, ns)
			return
		}
		for i := range c.m {
			checkSeeded(t, c, i, thr[i], ns, binary.LittleEndian.Uint32(out[4*i:]), out[4*c.m+i*c.L*8:4*c.m+(i+1)*c.L*8],
				func(r int) float64 { return score(i, r) }, func(r int) float64 { return tolOf(qnorm(i), r) }, better,
				func(r int) bool { return fails[r*step] })
		}
		checkMaxNorm(t, ss, out, maxNorm)
		t.Logf("%s: m %d n %d d %d C %d L %d grid %dx%d: every list exact", v, c.m, ns, c.d, C, c.L, nmt, parts)
		return
	}
	out := runEmu(t, exe, in, c.m*parts*c.kk*8+4)

	for i := range c.m {
		qn := qnorm(i)
		for p := range parts {
			lo, hi := p*per, min(ns, (p+1)*per)
			type rs struct {
				r int
				s float64
			}
			ref := make([]rs, 0, hi-lo)
			for r := lo; r < hi; r++ {
				ref = append(ref, rs{r, score(i, r)})
			}
			sort.SliceStable(ref, func(a, b int) bool { return better(ref[a].s, ref[b].s) })
			keys := make([]uint64, c.kk)
			for u := range keys {
				keys[u] = binary.LittleEndian.Uint64(out[((i*parts+p)*c.kk+u)*8:])
			}
			sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
			seen := map[int]bool{}
			for u, key := range keys {
				if u >= hi-lo {
					if key != math.MaxUint64 {
						t.Fatalf("query %d part %d slot %d: key %#x, want EMPTY_KEY (the part has %d rows)", i, p, u, key, hi-lo)
					}
					continue
				}
				r := int(uint32(key))
				if r < lo || r >= hi || seen[r] {
					t.Fatalf("query %d part %d slot %d: row %d outside [%d, %d) or repeated (key %#x)", i, p, u, r, lo, hi, key)
				}
				seen[r] = true
				got := float64(unrankKey(key, c.largest))
				tol := tolOf(qn, r)
				want, exact := ref[u].s, score(i, r)
				if math.IsNaN(want) || math.IsNaN(exact) || math.IsNaN(got) {
					if !(math.IsNaN(want) && math.IsNaN(exact) && math.IsNaN(got)) {
						t.Fatalf("query %d part %d rank %d: row %d scored %g (exact %g), the rank's exact score is %g", i, p, u, r, got, exact, want)
					}
					continue
				}
				if math.Abs(got-exact) > tol || math.Abs(got-want) > tol {
					t.Fatalf("query %d part %d rank %d: row %d scored %g (exact %g), the exact rank-%d score is %g (tol %g)",
						i, p, u, r, got, exact, u+1, want, tol)
				}
			}
		}
	}
	checkMaxNorm(t, ss, out, maxNorm)
	t.Logf("%s: m %d n %d d %d kk %d C %d grid %dx%d: every part's candidates exact", v, c.m, ns, c.d, c.kk, C, nmt, parts)
}

// checkMaxNorm checks the largest row norm at the end of an emulator's
// output (ss "1": the kernel summed the squares).
func checkMaxNorm(t *testing.T, ss string, out []byte, want float64) {
	t.Helper()
	if ss != "1" {
		return
	}
	got := float64(math.Float32frombits(binary.LittleEndian.Uint32(out[len(out)-4:])))
	if math.Abs(got-want) > 1e-5*want {
		t.Fatalf("largest row norm %g, want %g", got, want)
	}
}

// checkSeeded checks a seeded scan's list of one query against float64
// scores (score, with tolerance tol, of the scan's n rows): it holds
// every row that beats the threshold th by more than the tolerance and
// none that misses it by more, each once, as keys whose scores pass th
// (a NaN threshold: every row); cnt counts them all, past the list's
// length too. A row of a masked scan that fails (fails) is never listed,
// whatever the threshold.
func checkSeeded(t *testing.T, c emuCase, i int, th float32, n int, cnt uint32, list []byte, score, tol func(int) float64, better func(a, b float64) bool,
	fails func(int) bool) {
	t.Helper()
	t64 := float64(th)
	sure, maybe := 0, 0 // rows that must pass, rows that may
	must := map[int]bool{}
	for r := range n {
		if fails(r) {
			continue
		}
		s := score(r)
		switch {
		case math.IsNaN(t64), math.IsNaN(s), better(s, t64+tol(r)) && better(s, t64-tol(r)):
			sure++
			maybe++
			must[r] = true
		case better(s, t64+tol(r)) || better(s, t64-tol(r)) || math.Abs(s-t64) <= tol(r):
			maybe++
		}
	}
	if int(cnt) < sure || int(cnt) > maybe {
		t.Fatalf("query %d (threshold %g): %d keys counted, want %d to %d", i, th, cnt, sure, maybe)
	}
	held := min(int(cnt), c.L)
	seen := map[int]bool{}
	for u := range held {
		key := binary.LittleEndian.Uint64(list[8*u:])
		r := int(uint32(key))
		if r >= n || seen[r] {
			t.Fatalf("query %d slot %d: row %d outside [0, %d) or repeated (key %#x)", i, u, r, n, key)
		}
		if fails(r) {
			t.Fatalf("query %d (threshold %g) slot %d: row %d fails the mask and is listed", i, th, u, r)
		}
		seen[r] = true
		got := unrankKey(key, c.largest)
		if !math.IsNaN(float64(th)) && !math.IsNaN(float64(got)) && (c.largest && got < th || !c.largest && got > th) {
			t.Fatalf("query %d slot %d: row %d scored %g, which misses the threshold %g", i, u, r, got, th)
		}
		if s := score(r); !(math.IsNaN(s) && math.IsNaN(float64(got))) && math.Abs(float64(got)-s) > tol(r) && !math.IsInf(s, 0) {
			t.Fatalf("query %d slot %d: row %d scored %g, exact %g", i, u, r, got, s)
		}
	}
	if int(cnt) <= c.L {
		for r := range must {
			if !seen[r] {
				t.Fatalf("query %d (threshold %g): row %d (score %g) passes and is not in the list of %d", i, th, r, score(r), cnt)
			}
		}
	}
}

// unrankKey is the score of a rank key (prelude.cuh's unrank32 of its
// high half); NaN for EMPTY_KEY and NaN scores.
func unrankKey(key uint64, largest bool) float32 {
	r := uint32(key >> 32)
	if r == math.MaxUint32 {
		return float32(math.NaN())
	}
	s := r
	if largest {
		s = ^r
	}
	b := ^s
	if s&0x80000000 != 0 {
		b = s & 0x7fffffff
	}
	return math.Float32frombits(b)
}
