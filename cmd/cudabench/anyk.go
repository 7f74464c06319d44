package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/silica-go/silica/cuda"
	"github.com/silica-go/silica/engine"
)

// selectModes are the ways -anyk times a search: the default choice,
// every k through the score-and-select path (SelectK 1), every k the
// fused scans take in their buffers (SelectK 1<<30; the tensor-core scan
// stops at its own limit), the default with the scores of 16-bit rows on
// the CUDA cores (TiledMatMul), and with those of a few queries in
// matmul_mma's wide tiles (NoSkinny), many queries without a seeded
// threshold (NoSeed: the fused scan's own thresholds up to its k,
// candSelect past it), many queries at a large k through scoreSelect's
// score pass instead of candSelect's candidate buffers (NoCand), and
// candSelect's buffers cut back at 2, 5 and 8 times k instead of 3
// (CandKeep).
var selectModes = []struct {
	name                        string
	k                           int
	tiled, wide, noseed, nocand bool
	keep                        int // Config.CandKeep
}{{"", 0, false, false, false, false, 0}, {" [select]", 1, false, false, false, false, 0}, {" [fused]", 1 << 30, false, false, false, false, 0},
	{" [tiled]", 0, true, false, false, false, 0}, {" [wide]", 0, false, true, false, false, 0}, {" [noseed]", 0, false, false, true, false, 0},
	{" [nocand]", 0, false, false, true, true, 0}, {" [keep2]", 0, false, false, true, false, 2}, {" [keep5]", 0, false, false, true, false, 5},
	{" [keep8]", 0, false, false, true, false, 8}}

// anyK times searches over 1M x 768 rows for each dtype, query count and
// k of the lists, in each select mode, and notes whether each mode's ids
// equal the default's.
func anyK(e *engine.Engine, cb *cuda.Backend, queries, ks []int, rowTunings, scoresTunings []string, want func(string) bool,
	timeIt func(name, torchName string, target float64, note string, build func() ([]*engine.Array, error)),
	randn func(seed uint64, dt engine.DType, shape ...int) *engine.Array, normalized func(*engine.Array) *engine.Array) {
	for _, dt := range []engine.DType{engine.Float32, engine.Float16} {
		name := map[engine.DType]string{engine.Float32: "fp32", engine.Float16: "fp16"}[dt]
		labelOf := func(bq, k int) string { return fmt.Sprintf("any-k %s, %d queries, k=%d", name, bq, k) }
		wanted := false
		for _, bq := range queries {
			for _, k := range ks {
				wanted = wanted || want(labelOf(bq, k))
			}
		}
		if !wanted {
			continue
		}
		E := normalized(randn(30+uint64(dt), dt, 1000000, 768))
		for _, bq := range queries {
			Q := normalized(randn(40+uint64(bq), dt, bq, 768))
			for _, k := range ks {
				label := labelOf(bq, k)
				if !want(label) {
					continue
				}
				torchName := fmt.Sprintf("top-%d over 1Mx768 %s, %d queries", k, name, bq)
				search := func() ([]*engine.Array, error) {
					s, err := engine.MatMul(Q, E, false, true)
					if err != nil {
						return nil, err
					}
					v, i, err := engine.TopK(s, k, true)
					return []*engine.Array{v, i}, err
				}
				var ref []int64
				for _, m := range selectModes {
					if !want(label + m.name) {
						continue
					}
					if m.k == 1<<30 && bq >= 16 && k > 1024 {
						continue // the tensor-core scan's limit: the same as [select]
					}
					if (m.tiled || m.wide) && dt == engine.Float32 {
						continue // float32 rows never take the tensor cores' product
					}
					if (m.nocand || m.keep > 0) && (bq < 16 || k <= 1024) {
						continue // candSelect serves many queries past the fused scan's k
					}
					if m.noseed && bq < 16 {
						continue // seeds are drawn for the tensor-core scan's many queries
					}
					if err := cb.SetConfig(cuda.Config{SelectK: m.k, TiledMatMul: m.tiled, NoSkinny: m.wide, NoSeed: m.noseed, NoCand: m.nocand,
						CandKeep: m.keep}); err != nil {
						fatal(err)
					}
					ids, err := searchIDs(search)
					if err != nil {
						fatal(fmt.Errorf("%s%s: %w", label, m.name, err))
					}
					note := "default"
					if ref == nil {
						ref = ids
					} else {
						note = fmt.Sprintf("ids = default's in %d/%d queries", sameSets(ref, ids, k), bq)
					}
					timeIt(label+m.name, torchName, 0, note, search)
				}
				// tuned times the search in a tuning "ru,minb" of -rowsweep
				// or -scoressweep (flag), which cfg turns into a Config.
				tuned := func(kind, flag, rt string, cfg func(ru, minb int) cuda.Config) {
					var ru, minb int
					if _, err := fmt.Sscanf(rt, "%d,%d", &ru, &minb); err != nil {
						fatal(fmt.Errorf("%s %q: want ru,minb", flag, rt))
					}
					if err := cb.SetConfig(cfg(ru, minb)); err != nil {
						fatal(err)
					}
					ids, err := searchIDs(search)
					if err != nil {
						fatal(err)
					}
					timeIt(label+" ["+kind+" "+rt+"]", torchName, 0, fmt.Sprintf("ids = default's in %d/%d queries", sameSets(ref, ids, k), bq), search)
				}
				for _, rt := range rowTunings {
					if bq == 1 && k <= 128 && want(label+" [row "+rt+"]") {
						tuned("row", "-rowsweep", rt, func(ru, minb int) cuda.Config { return cuda.Config{RowRU: ru, RowMinB: minb} })
					}
				}
				for _, st := range scoresTunings {
					// The scores kernel serves k past the fused scans', and any
					// k for 2 to 15 queries.
					if (bq == 1 && k <= 128) || (bq >= 16 && k <= 1024) || !want(label+" [scores "+st+"]") {
						continue
					}
					tuned("scores", "-scoressweep", st, func(ru, minb int) cuda.Config { return cuda.Config{ScoresRU: ru, ScoresMinB: minb} })
				}
				if err := cb.SetConfig(cuda.Config{}); err != nil {
					fatal(err)
				}
			}
			Q.Free()
		}
		E.Free()
	}
}

// firstUse times, in this process, the first search of a shape (spec
// "dtype,queries,k" over 200K x 768 rows) and a second one of the same
// shape, wall clock with the hits read back, after Engine.Warm when warm
// is set: compilation (or loading from the disk cache) shows as the
// difference.
func firstUse(e *engine.Engine, spec string, warm bool) {
	f := strings.Split(spec, ",")
	if len(f) != 3 {
		fatal(fmt.Errorf("-firstuse %q: want dtype,queries,k (e.g. fp16,1,100)", spec))
	}
	dt := map[string]engine.DType{"fp32": engine.Float32, "fp16": engine.Float16}[f[0]]
	m, err1 := strconv.Atoi(f[1])
	k, err2 := strconv.Atoi(f[2])
	if dt == 0 && f[0] != "fp32" || err1 != nil || err2 != nil {
		fatal(fmt.Errorf("-firstuse %q: want dtype (fp32, fp16),queries,k", spec))
	}
	x, err := e.RandomNormal(1, dt, 200000, 768)
	if err != nil {
		fatal(err)
	}
	q, err := e.RandomNormal(2, dt, m, 768)
	if err != nil {
		fatal(err)
	}
	if err := e.Eval(x, q); err != nil {
		fatal(err)
	}
	search := func() []*engine.Array {
		s, err := engine.Cosine(q, x)
		if err != nil {
			fatal(err)
		}
		v, i, err := engine.TopK(s, k, true)
		if err != nil {
			fatal(err)
		}
		return []*engine.Array{v, i}
	}
	warmMs := 0.0
	if warm {
		t0 := time.Now()
		if err := e.Warm(search()...); err != nil {
			fatal(err)
		}
		warmMs = time.Since(t0).Seconds() * 1e3
	}
	var ms [2]float64
	for r := range ms {
		outs := search()
		t0 := time.Now()
		if _, err := outs[1].Int64(); err != nil {
			fatal(err)
		}
		ms[r] = time.Since(t0).Seconds() * 1e3
	}
	fmt.Printf("first use %s warm=%t: warm %.1f ms, first search %.1f ms, second %.1f ms\n", spec, warm, warmMs, ms[0], ms[1])
}
