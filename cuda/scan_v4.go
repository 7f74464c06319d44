package cuda

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/silica-go/silica/engine"
)

// The tensor-core scan: on Hopper (compute capability 9.0) the wgmma main
// loop of scan_wgmma_v5.cu, version 5 (compiled for sm_90a; bench/cuda/NOTES.md,
// runs 7-10: same ids as v4 on every query, 1.2 to 1.5 times faster),
// elsewhere the mma.sync main loop of scan_mma_v4.cu, version 4; both
// share scan_tc.cuh's selection. The backend's Config (config.go) may
// pick the version and override the tiling.

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
// (bench/cuda/NOTES.md, run 9).
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
// out by scan_tc.cuh (ScanBlock): the stages, then thresholds, counts and
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

// v4Variant is the tensor-core scan for dtype t with tiling c:
// scan_wgmma_v5.cu when c.wg, else scan_mma_v4.cu; ss "1" sums the squares
// of the stored rows.
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
		v.file = "scan_wgmma_v5.cu"
		v.params = append(v.params, "wg")
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

// scanSeed is how a tensor-core scan reads the rows and keeps its keys
// (scan_tc.cuh's ScanSeed): step > 1 scans every step-th row of x (a
// sample: x's Shape[0] is then the sample's rows); thr0 (not 0) seeds
// each query's threshold at thr0[q*thr0s] and appends every key at or
// past it to list [m][L], counted in cnt [m] (zeroed before).
type scanSeed struct {
	step      int
	thr0      dptr
	thr0s     int
	cnt, list dptr
	L         int
	scr       *scanScratch // not nil: the scan's buffers come from it
}

// scanScratch holds the buffers of tensor-core scans launched one after
// another in the stream (the chunks of a seeded search): each reuses the
// last one's memory, grown when too small.
type scanScratch struct {
	bufs [2]struct {
		p dptr
		n int
	}
}

// take returns n bytes of scratch for buffer i (0 the blocks' buffers, 1
// the candidates), r.tmp's when sc is nil.
func (sc *scanScratch) take(r *runner, i, n int) (dptr, error) {
	if sc == nil {
		return r.tmp(n)
	}
	b := &sc.bufs[i]
	if b.p == 0 || b.n < n {
		p, err := r.tmp(n)
		if err != nil {
			return 0, err
		}
		b.p, b.n = p, n
	}
	return b.p, nil
}

// mmaScanV4 launches the tensor-core scan of version ver (v4 or v5) in
// the tiling for these queries: scan_mma_v4.cu's mma_scan_v4, or
// scan_wgmma_v5.cu's wgmma_scan_v5 when the tiling says wg. Each query's
// best kc keys of each of parts parts of x go to cand [m][parts][kc],
// or, seeded (sd.thr0 not 0), its keys past the seed to sd.list (cand is
// then 0). trunc reports TF32 operands truncated (wgmma) rather than
// rounded.
func (r *runner) mmaScanV4(at engine.Attrs, q, x arg, kc int, qscale, maxnorm, bits dptr, ver string, sd scanSeed) (cand dptr, parts int, trunc bool, err error) {
	m, d := q.Shape[0], q.Shape[1]
	n := x.Shape[0]
	c, err := r.v4Tiling(ver, m, x.DType)
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
	switch {
	case sd.thr0 != 0:
		C = c.bn + seedFlushAt // a buffer flushes to its list past seedFlushAt keys
	case sd.step > 1:
		C = kc + c.bn // a sample's buffers are cut back after every tile: less scratch, few tiles
	}
	nmt, parts, per := v4Grid(c, m, n, r.d.sms, C)
	wbuf, err := sd.scr.take(r, 0, nmt*parts*c.bm*C*8)
	if err != nil {
		return 0, 0, false, err
	}
	out := sd.list
	if sd.thr0 == 0 {
		if cand, err = sd.scr.take(r, 1, m*parts*kc*8); err != nil {
			return 0, 0, false, err
		}
		out = cand
	}
	v := v4Variant(x.DType, mmaSumSquares(at, x.DType), c)
	if bits != 0 {
		v = v.masked()
	}
	args := mmaScanV4Args{q: q.ptr, x: x.ptr, m: int64(m), n: int64(n),
		d: int64(d), per: int64(per), qscale: qscale, normB: at.NormB, largest: at.Largest,
		kk: int32(kc), C: int32(C), wbuf: wbuf, cand: out, maxnorm: maxnorm, bits: bits,
		xstep: int64(max(1, sd.step)), thr0: sd.thr0, thr0s: int64(sd.thr0s), lcnt: sd.cnt, L: int64(sd.L)}
	if c.wg {
		err = launch(r.d, v, [3]int{nmt, parts}, 256, c.smem(), wgmmaScanV5Args(args))
	} else {
		err = launch(r.d, v, [3]int{nmt, parts}, 256, c.smem(), args)
	}
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
	bits                dptr // the row bitmap of a masked search (MASK=1), else 0
	xstep               int64
	thr0                dptr
	thr0s               int64
	lcnt                dptr
	L                   int64
}

func (mmaScanV4Args) entry() (string, string) { return "scan_mma_v4.cu", "mma_scan_v4" }
func (p mmaScanV4Args) pack(a *argPack) {
	a.ptr(p.q).ptr(p.x).i64(p.m).i64(p.n).i64(p.d).i64(p.per).ptr(p.qscale).flag(p.normB).flag(p.largest).
		i32(p.kk).i32(p.C).ptr(p.wbuf).ptr(p.cand).ptr(p.maxnorm).ptr(p.bits).
		i64(p.xstep).ptr(p.thr0).i64(p.thr0s).ptr(p.lcnt).i64(p.L)
}

// wgmmaScanV5Args are the parameters of wgmma_scan_v5 (scan_wgmma_v5.cu):
// those of mma_scan_v4.
type wgmmaScanV5Args mmaScanV4Args

func (wgmmaScanV5Args) entry() (string, string) { return "scan_wgmma_v5.cu", "wgmma_scan_v5" }
func (p wgmmaScanV5Args) pack(a *argPack)       { mmaScanV4Args(p).pack(a) }

// kernel is the entry point of the scan in tiling c.
func (c v4Config) kernel() string {
	if c.wg {
		return "wgmma_scan_v5"
	}
	return "mma_scan_v4"
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
