// Command import1m times the steps of `silica import` of a .npy file on
// the cpu backend, one process, each step once: reading the file
// (store.ReadNPY), store.New and Append, and Save into a fresh directory;
// then WriteTo a file DIR.tar (removed at the end), Load of that file and
// Open of DIR.
//
//	go run ./bench/cpu/import1m VECTORS.npy DIR
//
// IMPORT1M_PROFILE=P writes a CPU profile of each step to P.STEP.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	_ "github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/store"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: import1m VECTORS.npy DIR")
		os.Exit(2)
	}
	step := func(name string, f func() error) {
		if prof := os.Getenv("IMPORT1M_PROFILE"); prof != "" {
			pf, err := os.Create(prof + "." + name)
			if err != nil {
				panic(err)
			}
			defer pf.Close()
			pprof.StartCPUProfile(pf)
			defer pprof.StopCPUProfile()
		}
		t := time.Now()
		if err := f(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
		fmt.Printf("%s: %.0f ms\n", name, time.Since(t).Seconds()*1e3)
	}
	var (
		rows [][]float32
		dim  int
		s    *store.Store
	)
	step("read", func() error {
		f, err := os.Open(os.Args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		rows, dim, err = store.ReadNPY(f)
		return err
	})
	step("new+append", func() error {
		var err error
		if s, err = store.New(store.Options{Dim: dim, Backend: "cpu"}); err != nil {
			return err
		}
		_, err = s.Append(rows)
		return err
	})
	step("save", func() error { return s.Save(os.Args[2]) })
	tarPath := os.Args[2] + ".tar"
	step("writeto", func() error {
		f, err := os.Create(tarPath)
		if err != nil {
			return err
		}
		if _, err := s.WriteTo(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	step("close", func() error { return s.Close() })
	step("load", func() error {
		f, err := os.Open(tarPath)
		if err != nil {
			return err
		}
		defer f.Close()
		l, err := store.Load(f, store.Options{Backend: "cpu"})
		if err != nil {
			return err
		}
		return l.Close()
	})
	step("open", func() error {
		o, err := store.Open(os.Args[2], store.Options{Backend: "cpu"})
		if err != nil {
			return err
		}
		return o.Close()
	})
	os.Remove(tarPath)
}
