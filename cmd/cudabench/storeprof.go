package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/trace"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/silica-go/silica/cuda"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

// storeProfile shows where a store search's time goes on the GPU (spec
// "dtype,rows" then searches "queries:k[:keep%]" separated by ;): a store
// of that many random 768-d rows on e (cuda, timing enabled), then for
// each search the median wall time of SearchBatch with the hits on the
// host, the device time of its last Eval (LastRunMillis), the device time
// of the same scan built as embench's kernel-only case (k and k+1, the
// store asks for one more) over the same rows, the kernels of one store
// search (EnableProfile) and the queries the TF32 scan refined. keep
// below 100 searches through a Where filter keeping that share of ids;
// keep% followed by "a" (10a) through AllowIDs of those ids instead, made
// once; followed by "n" (10n), made anew for each search (as a caller
// whose list changes between searches makes it).
func storeProfile(e *engine.Engine, cb *cuda.Backend, spec, searches string, reps int, goTrace string) {
	name, n := nameCount(spec)
	dt, ok := map[string]engine.DType{"fp32": engine.Float32, "fp16": engine.Float16}[name]
	if !ok || n < 1 {
		fatal(fmt.Errorf("-storeprof %q: want dtype (fp32, fp16),rows", spec))
	}
	const d = 768
	r := rand.New(rand.NewPCG(5, 6))
	s, err := store.New(store.Options{Dim: d, DType: dt, Engine: e})
	if err != nil {
		fatal(err)
	}
	defer s.Close()
	host := make([]float32, n*d)
	for i := range host {
		host[i] = float32(r.NormFloat64())
	}
	t0 := time.Now()
	const chunk = 100000
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		ids, rows := make([]int64, hi-lo), make([][]float32, hi-lo)
		for i := range rows {
			ids[i], rows[i] = int64(lo+i), host[(lo+i)*d:(lo+i+1)*d]
		}
		if err := s.Add(ids, rows); err != nil {
			fatal(err)
		}
	}
	fmt.Printf("store %s %d x %d: added in %.0f ms\n", name, n, d, time.Since(t0).Seconds()*1e3)
	x32, err := e.FromFloat32(host, n, d)
	if err != nil {
		fatal(err)
	}
	x, err := engine.Normalize(x32)
	if err == nil && dt != engine.Float32 {
		x, err = engine.Cast(x, dt)
	}
	if err == nil {
		err = e.Eval(x)
	}
	x32.Free()
	if err != nil {
		fatal(err)
	}
	defer x.Free()
	list := strings.Split(searches, ";")
	for si, sp := range list {
		p := strings.Split(sp, ":")
		m, _ := strconv.Atoi(p[0])
		k := 0
		if len(p) > 1 {
			k, _ = strconv.Atoi(p[1])
		}
		keep, allow, fresh := 100, false, false
		if len(p) > 2 {
			var err error
			ks := strings.TrimSuffix(p[2], "%")
			ks, allow = strings.CutSuffix(ks, "a")
			if !allow {
				ks, fresh = strings.CutSuffix(ks, "n")
			}
			if keep, err = strconv.Atoi(ks); err != nil {
				keep = 0
			}
		}
		if m < 1 || k < 1 || keep < 1 || keep > 100 {
			fatal(fmt.Errorf("-storesearch %q: want queries:k[:keep[a|n]]", sp))
		}
		queries := make([][]float32, m)
		flat := make([]float32, m*d)
		for i := range flat {
			flat[i] = float32(r.NormFloat64())
		}
		for i := range queries {
			queries[i] = flat[i*d : (i+1)*d]
		}
		filter := store.Filter{}
		how := ""
		var ids []int64
		switch {
		case keep < 100 && (allow || fresh):
			for id := range int64(n) {
				if id%100 < int64(keep) {
					ids = append(ids, id)
				}
			}
			filter, how = store.AllowIDs(ids...), " (AllowIDs)"
			if fresh {
				how = " (AllowIDs, made for each search)"
			}
		case keep < 100:
			filter, how = store.Where(func(id int64) bool { return id%100 < int64(keep) }), " (Where)"
		}
		search := func() {
			f := filter
			if fresh {
				f = store.AllowIDs(ids...)
			}
			if _, err := s.SearchBatchFiltered(queries, k, f); err != nil {
				fatal(err)
			}
		}
		refined := cb.Refined()
		var wall, dev []float64
		stop := startTrace(goTrace, si, len(list))
		for i := range reps + 2 {
			t := time.Now()
			search()
			if i >= 2 {
				wall = append(wall, time.Since(t).Seconds()*1e3)
				dev = append(dev, cb.LastRunMillis())
			}
		}
		stop()
		refined = cb.Refined() - refined
		kernel := func(kk int) float64 {
			qdt := engine.Float32
			if dt == engine.Float16 {
				qdt = engine.Float16
			}
			q, err := e.FromFloat32As(flat, qdt, m, d)
			if err != nil {
				fatal(err)
			}
			defer q.Free()
			var ms []float64
			for range reps + 2 {
				qn, err := engine.Normalize(q)
				var sc, v, ix *engine.Array
				if err == nil {
					sc, err = engine.MatMul(qn, x, false, true)
				}
				if err == nil {
					v, ix, err = engine.TopK(sc, kk, true)
				}
				if err == nil {
					err = e.Eval(v, ix)
				}
				if err == nil {
					err = e.Synchronize()
				}
				if err != nil {
					fatal(err)
				}
				ms = append(ms, cb.LastRunMillis())
				v.Free()
				ix.Free()
			}
			return median(ms[2:])
		}
		k0, k1 := kernel(k), kernel(k+1)
		fmt.Printf("store search %s %d queries k=%d keep %d%%%s: wall %.3f ms, last Eval on the device %.3f ms; kernel-only scan k=%d %.3f ms, k=%d %.3f ms; %d queries refined in %d searches\n",
			name, m, k, keep, how, median(wall), median(dev), k, k0, k+1, k1, refined, reps+2)
		printTrace(search)
		prof, names, total := kernelProfile(cb, search)
		fmt.Printf("      kernels of one search: %.3f ms\n", total)
		for _, name := range names {
			fmt.Printf("      %-70s %9.4f ms\n", name, prof[name])
		}
	}
}

// kernelProfile runs f with every launch timed (EnableProfile) and returns
// the milliseconds by kernel, the kernels' names slowest first and their
// sum.
func kernelProfile(cb *cuda.Backend, f func()) (map[string]float64, []string, float64) {
	if err := cb.EnableProfile(true); err != nil {
		fatal(err)
	}
	f()
	prof := cb.Profile()
	cb.EnableProfile(false)
	names := make([]string, 0, len(prof))
	total := 0.0
	for name, ms := range prof {
		names = append(names, name)
		total += ms
	}
	sort.Slice(names, func(i, j int) bool { return prof[names[i]] > prof[names[j]] })
	return prof, names, total
}

// nameCount splits a flag value "name,count"; count is 0 when missing or
// not a number.
func nameCount(spec string) (string, int) {
	name, count, ok := strings.Cut(spec, ",")
	n, err := strconv.Atoi(count)
	if !ok || err != nil {
		n = 0
	}
	return name, n
}

// printTrace runs f twice with a driver trace on and prints the second
// run's driver calls in order: when each began, how long it took and the
// host's time since the call before (cuda.TraceDriver).
func printTrace(f func()) {
	for range 2 {
		cuda.TraceDriver(true)
		cuda.TraceMark("begin")
		f()
		cuda.TraceMark("end")
	}
	calls := cuda.DriverTrace()
	cuda.TraceDriver(false)
	fmt.Printf("      driver calls of one search (start, duration, host time before it; us):\n")
	var prev time.Duration
	sums := map[string]time.Duration{}
	var host time.Duration
	for i, c := range calls {
		gap := c.Start - prev
		if i == 0 {
			gap = 0
		}
		host += gap
		sums[c.Name] += c.Dur
		fmt.Printf("      %8.1f %8.1f %8.1f %s\n", us(c.Start), us(c.Dur), us(gap), c.Name)
		prev = c.Start + c.Dur
	}
	fmt.Printf("      host between calls %.1f us; in calls:", us(host))
	for _, name := range slices.Sorted(maps.Keys(sums)) {
		if d := sums[name]; d > 0 {
			fmt.Printf(" %s %.1f", name, us(d))
		}
	}
	fmt.Println()
}

func us(d time.Duration) float64 { return float64(d) / 1e3 }

// startTrace starts a Go execution trace (runtime/trace) into path, with
// the index i of the search before its extension when there are n > 1,
// and returns what stops it; with an empty path it does nothing.
func startTrace(path string, i, n int) func() {
	if path == "" {
		return func() {}
	}
	if n > 1 {
		ext := filepath.Ext(path)
		path = fmt.Sprintf("%s%d%s", strings.TrimSuffix(path, ext), i, ext)
	}
	f, err := os.Create(path)
	if err == nil {
		err = trace.Start(f)
	}
	if err != nil {
		fatal(fmt.Errorf("-gotrace: %w", err))
	}
	return func() {
		trace.Stop()
		if err := f.Close(); err != nil {
			fatal(fmt.Errorf("-gotrace: %w", err))
		}
	}
}
