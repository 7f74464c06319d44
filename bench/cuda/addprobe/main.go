// Command addprobe times where a store's add of 1M x 768 float32 rows
// goes on cuda: the rows joined into one fresh slice and again into the
// same one, one upload of 3 GB (FromFloat32), a map of 1M ids grown and
// made for its size, 1M lookups that miss, then store.New + Append (the
// rows as separate slices) and store.New + AddFlat in float32 and
// float16, three times each, under a Go CPU profile written to the file
// its one argument names. bench/cuda/scripts/run27.sh A runs it beside
// PyTorch's add of the same number of rows.
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	_ "github.com/silica-go/silica/cuda"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

func par(n int, f func(lo, hi int)) {
	w := runtime.NumCPU()
	var wg sync.WaitGroup
	for i := range w {
		wg.Go(func() { f(i*n/w, (i+1)*n/w) })
	}
	wg.Wait()
}

func ms(t time.Time) float64 { return time.Since(t).Seconds() * 1e3 }

func main() {
	const n, d = 1000000, 768
	e, err := engine.Open("cuda")
	if err != nil {
		panic(err)
	}
	host := make([]float32, n*d)
	par(n, func(lo, hi int) {
		r := rand.New(rand.NewPCG(uint64(lo), 7))
		for i := lo * d; i < hi*d; i++ {
			host[i] = float32(r.Uint32()>>8)/(1<<23) - 1
		}
	})
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = host[i*d : (i+1)*d]
	}
	for rep := range 2 {
		t := time.Now()
		flat := make([]float32, n*d)
		par(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				copy(flat[i*d:], rows[i])
			}
		})
		a := ms(t)
		t = time.Now()
		par(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				copy(flat[i*d:], rows[i])
			}
		})
		fmt.Printf("rep %d flatten fresh %.1f ms, again %.1f ms\n", rep, a, ms(t))
		t = time.Now()
		x, err := e.FromFloat32(flat, n, d)
		if err != nil {
			panic(err)
		}
		if err := e.Synchronize(); err != nil {
			panic(err)
		}
		fmt.Printf("rep %d FromFloat32 3 GB %.1f ms\n", rep, ms(t))
		x.Free()
	}
	t := time.Now()
	m := make(map[int64]int)
	for i := range n {
		m[int64(i)] = i
	}
	fmt.Printf("map insert 1M unsized %.1f ms\n", ms(t))
	t = time.Now()
	m = make(map[int64]int, n)
	for i := range n {
		m[int64(i)] = i
	}
	fmt.Printf("map insert 1M sized %.1f ms\n", ms(t))
	t = time.Now()
	c := 0
	for i := range n {
		if _, ok := m[int64(i+n)]; ok {
			c++
		}
	}
	fmt.Printf("map lookup 1M misses %.1f ms %d\n", ms(t), c)
	f, _ := os.Create(os.Args[1])
	pprof.StartCPUProfile(f)
	for _, dt := range []engine.DType{engine.Float32, engine.Float16} {
		for _, mode := range []string{"append", "addflat"} {
			for rep := range 3 {
				t := time.Now()
				s, err := store.New(store.Options{Dim: d, DType: dt, Engine: e})
				if err != nil {
					panic(err)
				}
				if mode == "append" {
					_, err = s.Append(rows)
				} else {
					ids := make([]int64, n)
					for i := range ids {
						ids[i] = int64(i)
					}
					err = s.AddFlat(ids, host)
				}
				if err != nil {
					panic(err)
				}
				e.Synchronize()
				a := ms(t)
				t = time.Now()
				s.Close()
				runtime.GC()
				fmt.Printf("%s %s rep %d: %.1f ms (close+gc %.1f)\n", dt, mode, rep, a, ms(t))
			}
		}
	}
	pprof.StopCPUProfile()
}
