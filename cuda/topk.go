package cuda

import (
	"strconv"

	"github.com/silica-go/silica/engine"
)

func init() {
	kernels[engine.OpTopK] = topkKernel
	kernels[engine.OpMaskRows] = maskRowsKernel
	registerFamily(func() []variant {
		var vs []variant
		for _, t := range floatTypes {
			vs = append(vs, selectVariant(t))
		}
		return vs
	}, topkSelectArgs{}, radixPassArgs{}, radixCollectArgs{}, rankSelectArgs{}, maskRowsArgs{}, candFilterArgs{}, candCompactArgs{}, seedFinalArgs{})
}

// selectStaticSmem bounds topk_select's static shared memory (a
// histogram and a few counters), which its dynamic shared memory must
// leave room for.
const selectStaticSmem = 2 << 10

// selectSmemKeys is how many keys topk_select sorts in shared memory for
// a selection of k: k rounded up to a power of two when they fit the
// device's shared memory of a block (up to 16384 keys in a Hopper GPU's
// 227 KiB), else 0, and the keys are sorted in scratch (global) memory.
// The store asks for k+1 results, so k = 4096 sorts 8192 keys.
func (d *device) selectSmemKeys(k int) int {
	if kp := pow2AtLeast(k); 8*kp+selectStaticSmem <= d.smemOptin {
		return kp
	}
	return 0
}

// Rows at least radixMinLen long, fewer than radixMaxRows(device), are
// selected by many blocks a row (radix_pass, radix_collect) rather than
// one: one block a row would leave most of the device idle.
const radixMinLen = 1 << 14

// radixMaxRows is the most rows the multi-block select takes: beyond
// twice the SMs one block a row fills the device (and the grid's y
// dimension stops at 65535).
func (d *device) radixMaxRows() int { return min(2*d.sms, 65535) }

// radixCap is cap, how many keys of the k-th key's digit the passes of
// the multi-block select allow before they collect: each row's
// candidate buffer holds k + cap keys.
func radixCap(k int) int { return max(2048, k) }

func pow2AtLeast(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// topkKernel selects along the last axis, one block a row, any k.
func topkKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	n := x.Shape[len(x.Shape)-1]
	rows := x.Shape.Size() / n
	if n >= radixMinLen && rows < r.d.radixMaxRows() {
		return r.selectLong(x.DType, x.ptr, rows, n, s.Attrs.K, s.Attrs.Largest, out[0].ptr, out[1].ptr)
	}
	return r.selectRows(x.DType, x.ptr, 0, rows, n, s.Attrs.K, s.Attrs.Largest, out[0].ptr, out[1].ptr, 0)
}

// selectRows runs topk_select over rows of length L: scores x of dtype dt
// (keys == 0) or rank keys; it writes vals/idx, or keys into outKeys when
// vals == 0.
func (r *runner) selectRows(dt engine.DType, x, keys dptr, rows, L, k int, largest bool, vals, idx, outKeys dptr) error {
	var scratch dptr
	sk := r.d.selectSmemKeys(k)
	if sk == 0 {
		var err error
		if scratch, err = r.tmp(8 * rows * pow2AtLeast(k)); err != nil {
			return err
		}
	}
	if keys != 0 {
		dt = engine.Float32
	}
	return launch(r.d, selectVariant(dt), [3]int{min(rows, 1<<30)}, 512, 8*sk, topkSelectArgs{x: x, keysIn: keys, rows: int64(rows), L: int64(L),
		k: int32(k), largest: largest, vals: vals, idx: idx, outKeys: outKeys, scratch: scratch, smemKeys: int32(sk)})
}

// selectVariant is topk.cu's topk_select of scores of dtype t.
func selectVariant(t engine.DType) variant { return selectVariantBits(t, radixBits) }

// selectVariantBits is selectVariant with radix_pass's digits of bits
// bits.
func selectVariantBits(t engine.DType, bits int) variant {
	return variant{file: "topk.cu", kind: "select", dtype: t, defines: []string{"T=" + ctype(t), "RADIX_BITS=" + strconv.Itoa(bits)}}
}

// radixBits is the bits of the keys that each pass of the multi-block
// select (radix_pass) counts: 11, six passes over a 64-bit key, each a
// launch, where 8 took eight; the first two (a score's sign, exponent and
// 13 bits) settle most rows and the passes after return at once. On an
// H100 (run 31 A, bench/cuda/results/run31a_storeprof.log, two rounds
// each) a single query's radix_pass took 0.037-0.039 ms with 11 against
// 0.040-0.050 with 8 (the most at k = 4096), and its search 0.657 and
// 0.666 ms of wall against 0.667 and 0.668 (float16, k = 4096). topk.cu
// takes any width up to 11 (TestSelectLongEmulated runs 8 and 11).
// radixBins and radixPasses follow from it, as topk.cu's RADIX_BINS and
// RADIX_PASSES do.
const (
	radixBits   = 11
	radixBins   = 1 << radixBits
	radixPasses = (64 + radixBits - 1) / radixBits
)

// topkSelectArgs are the parameters of topk_select (topk.cu).
type topkSelectArgs struct {
	x, keysIn                   dptr
	rows, L                     int64
	k                           int32
	largest                     bool
	vals, idx, outKeys, scratch dptr
	smemKeys                    int32
}

func (topkSelectArgs) entry() (string, string) { return "topk.cu", "topk_select" }
func (p topkSelectArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.keysIn).i64(p.rows).i64(p.L).i32(p.k).flag(p.largest).ptr(p.vals).ptr(p.idx).ptr(p.outKeys).ptr(p.scratch).i32(p.smemKeys)
}

// selectLong selects the k best of each of rows rows of scores x [rows,
// L] (dtype dt) into vals/idx [rows, k], many blocks a row: radix passes
// over radixBits-bit digits of the rank keys, each a launch, until each row's
// candidates at or before the chosen prefix fit k + radixCap(k) keys;
// then they are collected and ordered: by rank_select for a few rows
// (useRankSelect), else by topk_select. rows <= radixMaxRows.
func (r *runner) selectLong(dt engine.DType, x dptr, rows, L, k int, largest bool, vals, idx dptr) error {
	cap := radixCap(k)
	kcap := k + cap
	rank := useRankSelect(rows, kcap)
	zeroed := rows * (32 + radixBins*4)
	if rank {
		zeroed += rows * (kcap + rankTiles(kcap)) * 4
	}
	state, err := r.tmp(zeroed)
	if err != nil {
		return err
	}
	hist := state + uint64(rows*32)
	cand, err := r.tmp(rows * kcap * 8)
	if err != nil {
		return err
	}
	if err := r.memset32(state, 0, zeroed/4); err != nil {
		return err
	}
	// rank_select reads only the keys collected; topk_select reads the
	// whole buffer, EMPTY_KEY past them.
	if !rank {
		if err := r.memset32(cand, 0xffffffff, rows*kcap*2); err != nil {
			return err
		}
	}
	nb := max(1, min((L+512*16-1)/(512*16), 4*r.d.sms/rows))
	v := selectVariant(dt)
	grid := [3]int{nb, rows}
	for pass := range radixPasses {
		if err := launch(r.d, v, grid, 512, 0, radixPassArgs{x: x, L: int64(L), k: int32(k), largest: largest,
			pass: int32(pass), cap: int32(cap), state: state, hist: hist}); err != nil {
			return err
		}
	}
	if err := launch(r.d, v, grid, 512, 0, radixCollectArgs{x: x, L: int64(L), largest: largest, kcap: int32(kcap),
		state: state, out: cand}); err != nil {
		return err
	}
	if rank {
		tiles := rankTiles(kcap)
		return launch(r.d, v, [3]int{tiles * tiles, rows}, rankTile, 0, rankSelectArgs{cand: cand, kcap: int32(kcap), k: int32(k),
			largest: largest, state: state, rank: hist + uint64(rows*radixBins*4), vals: vals, idx: idx})
	}
	return r.selectRows(engine.Float32, 0, cand, rows, kcap, k, largest, vals, idx, 0)
}

// rankTile is rank_select's RANK_TILE (topk.cu): the keys a block ranks
// and the keys it counts them against, and its threads.
const rankTile = 256

// rankTiles is rank_select's tiles of a row of kcap candidates.
func rankTiles(kcap int) int { return (kcap + rankTile - 1) / rankTile }

// useRankSelect reports whether selectLong orders the candidates of rows
// rows of kcap keys each by counting ranks (rank_select: about kcap^2
// comparisons a row, spread over the whole device) rather than sorting
// each row in one block (topk_select): for the searches of a few queries,
// where one block a row leaves the device idle. (Run 26 C on an H100, one
// query at k = 4096 over 1M float16 rows: topk_select's one block took
// 0.110 ms of the search's 0.728 ms of kernels.)
func useRankSelect(rows, kcap int) bool { return rows <= 16 && kcap <= 16384 }

// rankSelectArgs are the parameters of rank_select (topk.cu).
type rankSelectArgs struct {
	cand      dptr
	kcap, k   int32
	largest   bool
	state     dptr
	rank      dptr
	vals, idx dptr
}

func (rankSelectArgs) entry() (string, string) { return "topk.cu", "rank_select" }
func (p rankSelectArgs) pack(a *argPack) {
	a.ptr(p.cand).i32(p.kcap).i32(p.k).flag(p.largest).ptr(p.state).ptr(p.rank).ptr(p.vals).ptr(p.idx)
}

// radixPassArgs are the parameters of radix_pass (topk.cu).
type radixPassArgs struct {
	x           dptr
	L           int64
	k           int32
	largest     bool
	pass, cap   int32
	state, hist dptr
}

func (radixPassArgs) entry() (string, string) { return "topk.cu", "radix_pass" }
func (p radixPassArgs) pack(a *argPack) {
	a.ptr(p.x).i64(p.L).i32(p.k).flag(p.largest).i32(p.pass).i32(p.cap).ptr(p.state).ptr(p.hist)
}

// radixCollectArgs are the parameters of radix_collect (topk.cu).
type radixCollectArgs struct {
	x          dptr
	L          int64
	largest    bool
	kcap       int32
	state, out dptr
}

func (radixCollectArgs) entry() (string, string) { return "topk.cu", "radix_collect" }
func (p radixCollectArgs) pack(a *argPack) {
	a.ptr(p.x).i64(p.L).flag(p.largest).i32(p.kcap).ptr(p.state).ptr(p.out)
}

// maskRowsKernel is OpMaskRows: topk.cu's mask_rows, a grid-stride loop
// over the scores.
func maskRowsKernel(r *runner, s *engine.Step, in, out []arg) error {
	x := in[0]
	total := x.Shape.Size()
	if total == 0 {
		return nil
	}
	return r.maskRows(x.DType, x.ptr, in[1].ptr, total, x.Shape[len(x.Shape)-1], s.Attrs.Largest, out[0].ptr)
}

// maskRows launches mask_rows over total scores x of dtype dt (rows of
// n) into y (float32; y may be x when dt is Float32).
func (r *runner) maskRows(dt engine.DType, x, bits dptr, total, n int, largest bool, y dptr) error {
	blocks := min((total+255)/256, 16*r.d.sms)
	return launch(r.d, selectVariant(dt), [3]int{blocks}, 256, 0, maskRowsArgs{x: x, bits: bits,
		total: int64(total), n: int64(n), largest: largest, y: y})
}

// maskScores masks float32 scores [total/n, n] in place.
func (r *runner) maskScores(scores, bits dptr, total, n int, largest bool) error {
	return r.maskRows(engine.Float32, scores, bits, total, n, largest, scores)
}

// maskRowsArgs are the parameters of mask_rows (topk.cu).
type maskRowsArgs struct {
	x, bits  dptr
	total, n int64
	largest  bool
	y        dptr
}

func (maskRowsArgs) entry() (string, string) { return "topk.cu", "mask_rows" }
func (p maskRowsArgs) pack(a *argPack) {
	a.ptr(p.x).ptr(p.bits).i64(p.total).i64(p.n).flag(p.largest).ptr(p.y)
}

// candFilterArgs are the parameters of cand_filter (topk.cu).
type candFilterArgs struct {
	scores  dptr
	P, base int64
	largest bool
	bits    dptr
	thr     dptr
	cnt     dptr
	buf     dptr
	C       int64
}

func (candFilterArgs) entry() (string, string) { return "topk.cu", "cand_filter" }
func (p candFilterArgs) pack(a *argPack) {
	a.ptr(p.scores).i64(p.P).i64(p.base).flag(p.largest).ptr(p.bits).ptr(p.thr).ptr(p.cnt).ptr(p.buf).i64(p.C)
}

// candCompactArgs are the parameters of cand_compact (topk.cu).
type candCompactArgs struct {
	buf      dptr
	C        int64
	cnt, thr dptr
	k, at    int32
	out      dptr
}

func (candCompactArgs) entry() (string, string) { return "topk.cu", "cand_compact" }
func (p candCompactArgs) pack(a *argPack) {
	a.ptr(p.buf).i64(p.C).ptr(p.cnt).ptr(p.thr).i32(p.k).i32(p.at).ptr(p.out)
}

// seedFinalArgs are the parameters of seed_final (topk.cu).
type seedFinalArgs struct {
	buf     dptr
	L       int64
	cnt     dptr
	k       int32
	out, ok dptr
}

func (seedFinalArgs) entry() (string, string) { return "topk.cu", "seed_final" }
func (p seedFinalArgs) pack(a *argPack) {
	a.ptr(p.buf).i64(p.L).ptr(p.cnt).i32(p.k).ptr(p.out).ptr(p.ok)
}
