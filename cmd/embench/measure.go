package main

import (
	"math"
	"runtime"
	"slices"
	"time"
)

// policy says how long a case is timed. After the verification run (which
// also builds and caches the plan), Warmup more runs are made untimed;
// then samples are taken until there are at least MinReps of them and
// MinTime has passed, or MaxTime has passed with at least three samples,
// or there are MaxReps. The Python peers run the same loop (peers.py).
type policy struct {
	Warmup  int           `json:"warmup"`
	MinReps int           `json:"min_reps"`
	MaxReps int           `json:"max_reps"`
	MinTime time.Duration `json:"-"`
	MaxTime time.Duration `json:"-"`
}

// defaultPolicy returns the policy of a run; minTime 0 takes the default.
func defaultPolicy(quick bool, minTime time.Duration) policy {
	p := policy{Warmup: 2, MinReps: 10, MaxReps: 2000, MinTime: defaultTime}
	if quick {
		p = policy{Warmup: 1, MinReps: 3, MaxReps: 200, MinTime: quickTime}
	}
	if minTime > 0 {
		p.MinTime = minTime
	}
	p.MaxTime = 4 * p.MinTime
	return p
}

// slowCase: a case whose verification run took longer than slowCase
// times MaxTime is timed once (measure).
const slowCase = 4

// few returns the policy for a case whose one run is expensive (the
// store's add): no warm-up beyond the verification run, three samples.
func (p policy) few() policy {
	p.Warmup, p.MinReps, p.MaxReps = 0, 3, 3
	return p
}

// measure times run under the policy and returns the samples. run does one
// repetition: it starts the work, waits for the device to finish it, and
// releases what it made. An error stops the measurement. verified is how
// long the verification run took: warm-up is skipped after a verification
// run of half MinTime or more, and stops once it has taken that long, for
// so slow a case is warm after one run; after one of more than slowCase
// times MaxTime, one sample is taken.
func measure(p policy, verified time.Duration, run func(rep int) error) ([]time.Duration, error) {
	if verified > slowCase*p.MaxTime {
		// So slow a case (the CPU searching a million rows for 1024
		// queries) gets one sample: three would take many minutes more.
		p.MinReps, p.MaxReps = 1, 1
	}
	warm := time.Now()
	for i := 0; i < p.Warmup && verified+time.Since(warm) < p.MinTime/2; i++ {
		if err := run(i); err != nil {
			return nil, err
		}
	}
	runtime.GC() // the garbage of set-up and warm-up is not the case's
	var samples []time.Duration
	start := time.Now()
	for len(samples) < p.MaxReps {
		t0 := time.Now()
		if err := run(len(samples)); err != nil {
			return nil, err
		}
		samples = append(samples, time.Since(t0))
		elapsed := time.Since(start)
		if len(samples) >= p.MinReps && elapsed >= p.MinTime {
			break
		}
		if len(samples) >= 3 && elapsed >= p.MaxTime {
			break
		}
	}
	return samples, nil
}

// stats summarises samples in milliseconds.
type stats struct {
	Reps                       int
	Median, P99, Min, Max, IQR float64
}

// p99Samples is the fewest samples that have a 99th percentile below
// their maximum: with fewer, the nearest-rank 99th percentile is the
// largest sample, and the reports call it the max.
const p99Samples = 100

// summarize computes the median (the mean of the middle two for an even
// count), the 99th percentile by nearest rank (the largest sample below
// p99Samples samples), the extremes and the interquartile range.
func summarize(ms []float64) stats {
	if len(ms) == 0 {
		return stats{}
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	n := len(s)
	median := s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return stats{
		Reps: n, Median: median, P99: rank(s, 0.99),
		Min: s[0], Max: s[n-1], IQR: rank(s, 0.75) - rank(s, 0.25),
	}
}

// rank returns the nearest-rank percentile q of sorted samples.
func rank(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func millis(d []time.Duration) []float64 {
	out := make([]float64, len(d))
	for i, x := range d {
		out[i] = float64(x.Nanoseconds()) / 1e6
	}
	return out
}
