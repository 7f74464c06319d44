package main

import (
	"fmt"
	"time"

	"github.com/silica-go/silica/engine"
)

// hostCosts times, with the backend's event timing off, the engine calls
// that a store search makes around its kernels, each alone, median wall
// time of reps: Synchronize of an idle stream, a
// query's upload (FromFloat32 and Eval), a launch and its wait (Eval of
// one small element-wise op), and reading back evaluated arrays of the
// sizes a search's hits take (Float32 of 1 query x 100 up to 8 x 4096
// int64s' worth).
func hostCosts(e *engine.Engine, t engine.Timer, reps int) {
	if err := t.EnableTiming(false); err != nil {
		fatal(err)
	}
	defer t.EnableTiming(true)
	timeIt := func(name string, f func() error) {
		if err := f(); err != nil { // warm: kernels compiled, pools filled
			fatal(fmt.Errorf("%s: %w", name, err))
		}
		var ws []float64
		for range reps {
			t0 := time.Now()
			if err := f(); err != nil {
				fatal(fmt.Errorf("%s: %w", name, err))
			}
			ws = append(ws, time.Since(t0).Seconds()*1e3)
		}
		fmt.Printf("host %-50s %8.4f ms\n", name, median(ws))
	}
	timeIt("Synchronize (an idle stream)", func() error { return e.Backend().Synchronize() })
	q := make([]float32, 768)
	timeIt("upload a 768-float query (FromFloat32, Eval)", func() error {
		a, err := e.FromFloat32(q, 1, 768)
		if err != nil {
			return err
		}
		defer a.Free()
		return a.Eval()
	})
	timeIt("Eval of Scale over 768 floats (a launch and its wait)", func() error {
		a, err := e.FromFloat32(q, 1, 768)
		if err != nil {
			return err
		}
		defer a.Free()
		s, err := engine.Scale(a, 2)
		if err != nil {
			return err
		}
		defer s.Free()
		return s.Eval()
	})
	for _, n := range []int{100, 8 * 1000, 8 * 4096, 2 * 8 * 4096} {
		a, err := e.Zeros(engine.Float32, n)
		if err != nil {
			fatal(err)
		}
		if err := a.Eval(); err != nil {
			fatal(err)
		}
		timeIt(fmt.Sprintf("read back %d float32 (%d KiB)", n, 4*n/1024), func() error {
			_, err := a.Float32()
			return err
		})
		a.Free()
	}
}
