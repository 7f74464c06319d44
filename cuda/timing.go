package cuda

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// Timing support for benchmarks (engine.Timer): the device time of runs,
// measured with CUDA events on the backend's stream, and the device's copy
// bandwidth.

var _ engine.Timer = (*Backend)(nil)

// EnableTiming makes every Run record events around its steps, so that
// LastRunMillis reports the device time of the last Run (launch gaps
// included, host work before the first launch excluded). See engine.Timer.
func (b *Backend) EnableTiming(on bool) error {
	return b.do(func() error {
		if on && b.d.evStart == 0 {
			if err := check("cuEventCreate", cuEventCreate(&b.d.evStart, 0)); err != nil {
				return err
			}
			if err := check("cuEventCreate", cuEventCreate(&b.d.evEnd, 0)); err != nil {
				return err
			}
		}
		b.d.timing = on
		return nil
	})
}

// EnableProfile makes every launch record events around it; Profile then
// reports the device time of each kernel, summed over the runs since.
// Events around every launch slow the runs: profile apart from timing.
func (b *Backend) EnableProfile(on bool) error {
	return b.do(func() error {
		b.d.profiling = on
		b.d.profile = map[string]float64{}
		b.d.profNames = b.d.profNames[:0]
		b.d.evUsed = 0
		return nil
	})
}

// Profile returns milliseconds by kernel (variant.function) since
// EnableProfile(true).
func (b *Backend) Profile() map[string]float64 {
	out := map[string]float64{}
	b.do(func() error {
		for k, v := range b.d.profile {
			out[k] = v
		}
		return nil
	})
	return out
}

// Refined returns how many queries the TF32 scan has had to search again
// exactly because its error bound could not prove the TF32 candidates
// complete (bench/cuda/NOTES.md). cmd/cudabench prints it.
func (b *Backend) Refined() int64 { return b.refined.Load() }

// LastRunMillis returns the device milliseconds of the last Run with
// timing enabled.
func (b *Backend) LastRunMillis() float64 { return b.d.lastMs }

func (d *device) timeStart() error {
	if !d.timing {
		return nil
	}
	return check("cuEventRecord", cuEventRecord(d.evStart, d.stream))
}

func (d *device) timeEnd() error {
	if !d.timing {
		return nil
	}
	if err := check("cuEventRecord", cuEventRecord(d.evEnd, d.stream)); err != nil {
		return err
	}
	if err := check("cuEventSynchronize", cuEventSynchronize(d.evEnd)); err != nil {
		return err
	}
	var ms float32
	if err := check("cuEventElapsedTime", cuEventElapsedTime(&ms, d.evStart, d.evEnd)); err != nil {
		return err
	}
	d.lastMs = float64(ms)
	return nil
}

// CopyBandwidth copies bytes between two device buffers reps times and
// returns the median rate in GB/s, counting bytes read plus bytes written:
// the memory ceiling a scan is measured against.
func (b *Backend) CopyBandwidth(bytes, reps int) (float64, error) {
	src, err := b.Alloc(bytes)
	if err != nil {
		return 0, err
	}
	defer b.Free(src)
	dst, err := b.Alloc(bytes)
	if err != nil {
		return 0, err
	}
	defer b.Free(dst)
	if err := b.EnableTiming(true); err != nil {
		return 0, err
	}
	var ms []float64
	for i := 0; i < reps+2; i++ {
		err := b.do(func() error {
			if err := b.d.timeStart(); err != nil {
				return err
			}
			if err := check("cuMemcpyDtoDAsync", cuMemcpyDtoDAsync(dst.(*buffer).ptr, src.(*buffer).ptr, uint64(bytes), b.d.stream)); err != nil {
				return err
			}
			return b.d.timeEnd()
		})
		if err != nil {
			return 0, err
		}
		if i >= 2 {
			ms = append(ms, b.d.lastMs)
		}
	}
	med := median(ms)
	if med <= 0 {
		return 0, fmt.Errorf("cuda: copy timed at %g ms", med)
	}
	return 2 * float64(bytes) / (med * 1e-3) / 1e9, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
