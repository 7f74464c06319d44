// Command add1m times store.New and one add of 1M x 768 float32 rows on
// the cpu backend, each row its own slice: Append (sequential ids) and
// Add with random ids, twice each in one process (the first adds of a
// process also fault in the store's fresh memory; on the Firecracker
// development machine that dominated them).
//
//	go run ./bench/cpu/add1m
package main

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	_ "github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/store"
)

func main() {
	const n, d = 1000000, 768
	r := rand.New(rand.NewPCG(1, 2))
	flat := make([]float32, n*d)
	for i := range flat {
		flat[i] = r.Float32()*2 - 1 + 1e-3
	}
	rows := make([][]float32, n)
	ids := make([]int64, n)
	for i := range rows {
		rows[i] = flat[i*d : (i+1)*d]
		ids[i] = int64(r.Uint64())
	}
	for rep := 0; rep < 2; rep++ {
		for _, mode := range []string{"append", "random-ids"} {
			s, err := store.New(store.Options{Dim: d, Backend: "cpu"})
			if err != nil {
				panic(err)
			}
			t := time.Now()
			if mode == "append" {
				_, err = s.Append(rows)
			} else {
				err = s.Add(ids, rows)
			}
			if err != nil {
				panic(err)
			}
			fmt.Printf("%s: %.0f ms\n", mode, time.Since(t).Seconds()*1e3)
			s.Close()
			runtime.GC()
		}
	}
}
