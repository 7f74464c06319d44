package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/silica-go/silica/cuda"
	"github.com/silica-go/silica/encode"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/textcorpus"
)

// encodeProfile shows where the encoder's time goes on the GPU (spec
// "modeldir,texts"): the first texts fortunes of internal/textcorpus (or
// with kind "lines" that many short documents, textcorpus.Lines)
// tokenized, then for each token budget of budgets (comma separated) and
// each run of modes the median wall time of encoding them all (documents
// per second), the device time of the runs, and the kernels of one pass
// (EnableProfile), the slowest first. The runs: float32 weights,
// float16 weights with the products on tensor cores (the default), and
// tiled, float16 with the products on the CUDA cores
// (Config.TiledMatMul).
func encodeProfile(e *engine.Engine, cb *cuda.Backend, spec, budgets, kind, modes string, reps int) {
	dir, n := nameCount(spec)
	if n < 1 {
		fatal(fmt.Errorf("-encprof %q: want modeldir,texts", spec))
	}
	var texts []string
	switch kind {
	case "fortunes":
		all, fortunes, err := textcorpus.Read()
		if err != nil {
			fatal(err)
		}
		texts = all[:min(n, fortunes)]
	case "lines":
		var err error
		if texts, err = textcorpus.Lines(n, 1); err != nil {
			fatal(err)
		}
	default:
		fatal(fmt.Errorf("-enckind %q: want fortunes or lines", kind))
	}
	for _, bs := range strings.Split(budgets, ",") {
		budget, err := strconv.Atoi(bs)
		if err != nil || budget < 1 {
			fatal(fmt.Errorf("-encbudgets %q: want token budgets above 0", budgets))
		}
		for _, run := range []struct {
			mode  string
			dt    engine.DType
			tiled bool
		}{{"float32", engine.Float32, false}, {"float16", engine.Float16, false}, {"tiled", engine.Float16, true}} {
			if !slices.Contains(strings.Split(modes, ","), run.mode) {
				continue
			}
			dt := run.dt
			if err := cb.SetConfig(cuda.Config{TiledMatMul: run.tiled}); err != nil {
				fatal(err)
			}
			m, err := encode.Load(dir, encode.Options{Engine: e, BatchTokens: budget, DType: dt})
			if err != nil {
				fatal(err)
			}
			t0 := time.Now()
			ids := m.Tokenize(texts)
			tok := time.Since(t0)
			tokens := 0
			for _, t := range ids {
				tokens += len(t)
			}
			var wall []float64
			for range reps + 1 {
				t0 := time.Now()
				if _, err := m.EncodeIDs(ids); err != nil {
					fatal(err)
				}
				wall = append(wall, time.Since(t0).Seconds())
			}
			med := median(wall[1:])
			prof, names, total := kernelProfile(cb, func() {
				if _, err := m.EncodeIDs(ids); err != nil {
					fatal(err)
				}
			})
			products := ""
			if dt != engine.Float32 {
				products = map[bool]string{false: " (products on tensor cores)", true: " (products on CUDA cores, TiledMatMul)"}[run.tiled]
			}
			fmt.Printf("encode %d %s (%d tokens, tokenized in %.1f ms) %s%s, budget %d tokens: %.1f ms wall, %.0f docs/s; kernels %.1f ms\n",
				len(ids), kind, tokens, tok.Seconds()*1e3, dt, products, budget, med*1e3, float64(len(ids))/med, total)
			for _, k := range names[:min(12, len(names))] {
				fmt.Printf("      %-70s %9.3f ms\n", k, prof[k])
			}
			m.Close()
		}
	}
	if err := cb.SetConfig(cuda.Config{}); err != nil {
		fatal(err)
	}
}
