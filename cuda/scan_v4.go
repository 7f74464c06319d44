package cuda

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/silica-go/silica/engine"
)

// The tensor-core scan is kernels/cuda/scan_mma_v4.cu: on Hopper (compute
// capability 9.0) its wgmma main loop, version 5 (WG=1, compiled for
// sm_90a; cuda/NOTES.md, runs 7-10: same ids as v4 on every query, 1.2
// to 1.5 times faster), elsewhere its mma.sync loop, version 4. The
// environment variable SILICA_CUDA_SCAN picks one (v3: the earlier
// scan_mma.cu, v4, v5); it is read at every search, so a benchmark can
// time them all in one process. SILICA_CUDA_V4 overrides the tiling of v4
// and v5, e.g. "bm=128,bn=256,bkb=64,stages=4,pf=1,wg=1,swz=1" (any
// subset).
const (
	scanVersionEnv = "SILICA_CUDA_SCAN"
	v4ConfigEnv    = "SILICA_CUDA_V4"
)

// scanVersion returns the tensor-core scan asked for: "v3", "v4", "v5",
// or "" for the device's best (see bestScan).
func scanVersion() (string, error) {
	switch v := os.Getenv(scanVersionEnv); v {
	case "", "v3", "v4", "v5":
		return v, nil
	default:
		return "", fmt.Errorf("cuda: %s=%q: want v3, v4 or v5 (unset: v5 on Hopper, else v4)", scanVersionEnv, v)
	}
}

// bestScan is the default tensor-core scan of the device: v5 where wgmma
// runs, else v4.
func (d *device) bestScan() string {
	if d.wgmmaOK() {
		return "v5"
	}
	return "v4"
}

// v4Config is the tiling of a scan_mma_v4.cu variant: bm queries by bn
// stored rows a block tile, bkb bytes of the shared dimension a stage,
// stages deep; pf asks L2 for the next tile's rows ahead; wg multiplies
// with wgmma (v5), swz with the tiles in the tensor cores' swizzled
// layout rather than in core matrices; mb blocks an SM (registers capped
// for that many, the grid that many times larger), 1 when 0.
type v4Config struct {
	bm, bn, bkb, stages, mb int
	pf, wg, swz             bool
}

// blocksPerSM is mb, at least 1.
func (c v4Config) blocksPerSM() int { return max(1, c.mb) }

// defaultV4 is the tiling for m queries: 64 of them a block with 64-byte
// stages 4 deep when they fit (the rows are read once), else 128 with
// 128-byte stages 3 deep (the rows are read m/128 times, mostly from L2).
// These were the fastest of the tilings timed on the H100 (run 5: 1024
// queries 17.4 ms fp32, 8.4 ms fp16, against 19.8 and 9.4 for 64-byte
// stages; 64 queries 2.16 ms fp32 and 1.21 ms fp16).
func defaultV4(m int) v4Config {
	if m <= 64 {
		return v4Config{bm: 64, bn: 256, bkb: 64, stages: 4}
	}
	return v4Config{bm: 128, bn: 256, bkb: 128, stages: 3}
}

// defaultV5 is the wgmma tiling for m queries (tf32: float32 rows), in
// the swizzled layout with 128-byte stages: 64 queries a block by 256
// rows (each warpgroup 64 x 128), 4 stages deep (two in flight), except
// for more than 64 float32 queries, 128 by 128 (each warpgroup 64 x 128),
// 5 deep. These were the fastest at 64 and at 1024 queries on the H100
// (cuda/NOTES.md, run 9).
func defaultV5(m int, tf32 bool) v4Config {
	if m > 64 && tf32 {
		return v4Config{bm: 128, bn: 128, bkb: 128, stages: 5, wg: true, swz: true}
	}
	return v4Config{bm: 64, bn: 256, bkb: 128, stages: 4, wg: true, swz: true}
}

// parseV4 applies overrides of the form "bm=128,bn=256,bkb=64,stages=4,pf=1,wg=1"
// to c and checks the result.
func parseV4(c v4Config, s string) (v4Config, error) {
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, val, ok := strings.Cut(f, "=")
		n, err := strconv.Atoi(val)
		if !ok || err != nil {
			return c, fmt.Errorf("cuda: %s: %q is not name=integer", v4ConfigEnv, f)
		}
		switch k {
		case "bm":
			c.bm = n
		case "bn":
			c.bn = n
		case "bkb":
			c.bkb = n
		case "stages":
			c.stages = n
		case "pf":
			c.pf = n != 0
		case "wg":
			c.wg = n != 0
		case "swz":
			c.swz = n != 0
		case "mb":
			c.mb = n
			if n == 1 {
				c.mb = 0 // one block an SM, as the zero value
			}
		default:
			return c, fmt.Errorf("cuda: %s: unknown setting %q (have bm, bn, bkb, stages, pf, wg, swz, mb)", v4ConfigEnv, k)
		}
	}
	switch {
	case c.bm != 64 && c.bm != 128:
		return c, fmt.Errorf("cuda: %s: bm=%d, want 64 or 128", v4ConfigEnv, c.bm)
	case c.bn != 128 && c.bn != 256:
		return c, fmt.Errorf("cuda: %s: bn=%d, want 128 or 256", v4ConfigEnv, c.bn)
	case c.bkb != 64 && c.bkb != 128:
		return c, fmt.Errorf("cuda: %s: bkb=%d, want 64 or 128", v4ConfigEnv, c.bkb)
	case c.stages < 2 || c.stages > 8:
		return c, fmt.Errorf("cuda: %s: stages=%d, want 2 to 8", v4ConfigEnv, c.stages)
	case c.wg && c.stages < 3:
		return c, fmt.Errorf("cuda: %s: wg=1 needs stages >= 3 (one stage of products stays in flight)", v4ConfigEnv)
	case c.mb < 0 || c.mb > 2:
		return c, fmt.Errorf("cuda: %s: mb=%d, want 1 or 2 blocks an SM", v4ConfigEnv, c.mb)
	case c.swz && !c.wg:
		return c, fmt.Errorf("cuda: %s: swz=1 is a layout of the wgmma loop: it needs wg=1", v4ConfigEnv)
	}
	return c, nil
}

// smem is the dynamic shared memory of a block of the kernel, as laid
// out at the top of mma_scan_v4: the stages, then thresholds, counts and
// query scales (bm each), row scales (bn), 8 warps' 256 counters and 64
// bytes.
func (c v4Config) smem() int {
	row := c.bkb + 16 // ldmatrix rows are padded
	if c.wg {
		row = c.bkb // wgmma's core matrices need no padding
	}
	return c.stages*(c.bm+c.bn)*row + c.bm*12 + c.bn*4 + 8*256*4 + 64
}

// bufKeys is C, each block's buffer of keys a query: the kk best, one
// tile's worth of new keys (bn) that always fits, and at least as much
// again of room, so that a buffer is cut back at most every max(bn, kk)
// new keys. A power of two.
func (c v4Config) bufKeys(kk int) int { return pow2AtLeast(kk + c.bn + max(c.bn, kk)) }

func (c v4Config) String() string {
	return fmt.Sprintf("bm=%d,bn=%d,bkb=%d,stages=%d,pf=%d,wg=%d,swz=%d,mb=%d", c.bm, c.bn, c.bkb, c.stages, b2i(c.pf), b2i(c.wg), b2i(c.swz), c.blocksPerSM())
}

// v4Variant is scan_mma_v4.cu for dtype t with tiling c; ss "1" sums the
// squares of the stored rows.
func v4Variant(t engine.DType, ss string, c v4Config) variant {
	pf := b2i(c.pf)
	defs := []string{"T=" + ctype(t), "SS=" + ss, fmt.Sprintf("BM=%d", c.bm), fmt.Sprintf("BN=%d", c.bn),
		fmt.Sprintf("BKB=%d", c.bkb), fmt.Sprintf("STAGES=%d", c.stages), fmt.Sprintf("PF=%d", pf)}
	switch t {
	case engine.Float32:
		defs = append(defs, "IS_TF32")
	case engine.BFloat16:
		defs = append(defs, "IS_BF16")
	}
	v := variant{file: "scan_mma_v4.cu", kind: "scan", dtype: t,
		params: []string{"ss" + ss, fmt.Sprintf("bm%d", c.bm), fmt.Sprintf("bn%d", c.bn), fmt.Sprintf("bkb%d", c.bkb),
			fmt.Sprintf("st%d", c.stages), fmt.Sprintf("pf%d", pf)},
		defines: defs}
	if c.wg {
		v.params = append(v.params, "wg")
		v.defines = append(v.defines, "WG=1")
		v.arch = wgmmaArch
	}
	if c.swz {
		v.params = append(v.params, "swz")
		v.defines = append(v.defines, "SWZ=1")
	}
	if mb := c.blocksPerSM(); mb > 1 {
		v.params = append(v.params, fmt.Sprintf("mb%d", mb))
		v.defines = append(v.defines, fmt.Sprintf("MINB=%d", mb))
	}
	return v
}

// wgmmaArch is the NVRTC target of the wgmma scan: wgmma exists only on
// sm_90a, Hopper's architecture-specific target.
const wgmmaArch = "sm_90a"

// wgmmaOK says whether the device runs sm_90a code: compute capability
// 9.0 and an NVRTC that builds machine code for it.
func (d *device) wgmmaOK() bool { return d.cc == 90 && d.cubin }

// v4Grid splits a search of m queries over n rows: nmt query tiles by
// parts parts of per rows (a multiple of bn), about mb blocks an SM, and
// the buffers (nmt*parts*bm*C keys) kept under 512 MiB.
func v4Grid(c v4Config, m, n, sms, C int) (nmt, parts, per int) {
	nmt = (m + c.bm - 1) / c.bm
	parts = max(1, sms*c.blocksPerSM()/nmt)
	for parts > 1 && nmt*parts*c.bm*C*8 > 512<<20 {
		parts = (parts + 1) / 2
	}
	per = ((n+parts-1)/parts + c.bn - 1) / c.bn * c.bn
	parts = max(1, (n+per-1)/per)
	return nmt, parts, per
}

// mmaScanV4 launches scan_mma_v4.cu's mma_scan_v4 (v5: its wgmma loop):
// each query's best kc keys of each of parts parts of x go to cand
// [m][parts][kc]. trunc reports TF32 operands truncated (wgmma) rather
// than rounded.
func (r *runner) mmaScanV4(at engine.Attrs, q, x arg, kc int, qscale, maxnorm dptr, v5 bool) (cand dptr, parts int, trunc bool, err error) {
	m, d := q.Shape[0], q.Shape[1]
	n := x.Shape[0]
	base := defaultV4(m)
	if v5 {
		base = defaultV5(m, x.DType == engine.Float32)
	}
	c, err := parseV4(base, os.Getenv(v4ConfigEnv))
	if err != nil {
		return 0, 0, false, err
	}
	if c.wg && !r.d.wgmmaOK() {
		return 0, 0, false, fmt.Errorf("cuda: the wgmma scan (%s=v5 or wg=1) needs compute capability 9.0 (Hopper) and an NVRTC that builds sm_90a; this device is sm_%d", scanVersionEnv, r.d.cc)
	}
	if c.smem() > r.d.smemOptin {
		return 0, 0, false, fmt.Errorf("cuda: scan v4 tiling %s needs %d bytes of shared memory a block, the device allows %d",
			c, c.smem(), r.d.smemOptin)
	}
	C := c.bufKeys(kc)
	nmt, parts, per := v4Grid(c, m, n, r.d.sms, C)
	wbuf, err := r.tmp(nmt * parts * c.bm * C * 8)
	if err != nil {
		return 0, 0, false, err
	}
	if cand, err = r.tmp(m * parts * kc * 8); err != nil {
		return 0, 0, false, err
	}
	v := v4Variant(x.DType, mmaSumSquares(at, x.DType), c)
	err = launch(r.d, v, [3]int{nmt, parts}, 256, c.smem(), mmaScanV4Args{q: q.ptr, x: x.ptr, m: int64(m), n: int64(n),
		d: int64(d), per: int64(per), qscale: qscale, normB: at.NormB, largest: at.Largest,
		kk: int32(kc), C: int32(C), wbuf: wbuf, cand: cand, maxnorm: maxnorm})
	return cand, parts, c.wg, err
}

// mmaScanV4Args are the parameters of mma_scan_v4 (scan_mma_v4.cu).
type mmaScanV4Args struct {
	q, x                dptr
	m, n, d, per        int64
	qscale              dptr
	normB, largest      bool
	kk, C               int32
	wbuf, cand, maxnorm dptr
}

func (mmaScanV4Args) entry() (string, string) { return "scan_mma_v4.cu", "mma_scan_v4" }
func (p mmaScanV4Args) pack(a *argPack) {
	a.ptr(p.q).ptr(p.x).i64(p.m).i64(p.n).i64(p.d).i64(p.per).ptr(p.qscale).flag(p.normB).flag(p.largest).
		i32(p.kk).i32(p.C).ptr(p.wbuf).ptr(p.cand).ptr(p.maxnorm)
}

// v4Sweep are the tilings besides the defaults that the device script
// times (cudabench -v4sweep) and the tests compile: larger stages, L2
// prefetch, smaller tiles, deeper pipelines.
// (bm=128 with pf=1, slower than without in run 5, left the list in run
// 9: its registers no longer fit without spills.)
var v4Sweep = []v4Config{
	{bm: 128, bn: 256, bkb: 64, stages: 4},
	{bm: 128, bn: 128, bkb: 64, stages: 4},
	{bm: 64, bn: 256, bkb: 64, stages: 6},
	{bm: 64, bn: 256, bkb: 128, stages: 4, pf: true},
}

// v5Sweep are the wgmma tilings besides the defaults that the device
// script times and the tests compile.
var v5Sweep = []v4Config{
	{bm: 64, bn: 128, bkb: 128, stages: 4, wg: true, swz: true, mb: 2},
	{bm: 64, bn: 128, bkb: 128, stages: 4, wg: true, swz: true},
	{bm: 128, bn: 128, bkb: 128, stages: 5, wg: true, swz: true},
	{bm: 128, bn: 128, bkb: 128, stages: 6, wg: true, swz: true},
	{bm: 128, bn: 256, bkb: 128, stages: 4, wg: true}, // the first v5 tiling: core matrices, no swizzle
}

// V5Tilings returns the wgmma tilings besides the defaults, in the syntax
// of SILICA_CUDA_V4.
func V5Tilings() []string { return tilingStrings(v5Sweep) }

// V4Tilings returns the tilings of the v4 scan, besides its defaults, that
// benchmarks time (cudabench -v4sweep), in the syntax of SILICA_CUDA_V4.
func V4Tilings() []string { return tilingStrings(v4Sweep) }

func tilingStrings(cs []v4Config) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return out
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
