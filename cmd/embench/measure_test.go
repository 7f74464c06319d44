package main

import (
	"errors"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	s := summarize([]float64{5, 1, 4, 2, 3})
	if s.Reps != 5 || s.Median != 3 || s.Min != 1 || s.Max != 5 || s.P99 != 5 {
		t.Errorf("odd count: %+v", s)
	}
	if s.IQR != 4-2 {
		t.Errorf("IQR %g, want 2 (nearest rank: p75=4, p25=2)", s.IQR)
	}
	if s := summarize([]float64{4, 1, 3, 2}); s.Median != 2.5 {
		t.Errorf("even count: median %g, want 2.5", s.Median)
	}
	ms := make([]float64, 200)
	for i := range ms {
		ms[i] = float64(200 - i) // 200 down to 1
	}
	if s := summarize(ms); s.P99 != 198 {
		t.Errorf("p99 of 1..200 = %g, want 198 (nearest rank)", s.P99)
	}
	if s := summarize(nil); s.Reps != 0 {
		t.Errorf("empty: %+v", s)
	}
}

func TestMeasureCounts(t *testing.T) {
	calls := 0
	run := func(int) error { calls++; return nil }
	p := policy{Warmup: 2, MinReps: 7, MaxReps: 100, MinTime: 0, MaxTime: time.Hour}
	samples, err := measure(p, 0, run)
	if err != nil {
		t.Fatal(err)
	}
	// MinTime 0: warm-up stops at once (it is capped at MinTime/2), then
	// exactly MinReps samples.
	if len(samples) != 7 || calls != 7 {
		t.Errorf("%d samples in %d calls, want 7 and 7", len(samples), calls)
	}

	calls = 0
	p = policy{Warmup: 3, MinReps: 5, MaxReps: 12, MinTime: time.Hour, MaxTime: 2 * time.Hour}
	samples, _ = measure(p, 0, run)
	if len(samples) != 12 || calls != 15 {
		t.Errorf("MaxReps: %d samples in %d calls, want 12 and 15", len(samples), calls)
	}
	// A verification run of half MinTime or more leaves no warm-up to do.
	calls = 0
	samples, _ = measure(p, 31*time.Minute, run)
	if len(samples) != 12 || calls != 12 {
		t.Errorf("warm after verification: %d samples in %d calls, want 12 and 12", len(samples), calls)
	}

	// A slow case stops after MaxTime once it has three samples.
	calls = 0
	slow := func(int) error { calls++; time.Sleep(2 * time.Millisecond); return nil }
	p = policy{MinReps: 1000, MaxReps: 1000, MinTime: time.Millisecond, MaxTime: time.Millisecond}
	if samples, _ = measure(p, 0, slow); len(samples) != 3 {
		t.Errorf("MaxTime: %d samples, want 3", len(samples))
	}

	// A very slow case: one sample.
	calls = 0
	p = policy{Warmup: 2, MinReps: 10, MaxReps: 100, MinTime: time.Millisecond, MaxTime: time.Millisecond}
	if samples, _ = measure(p, time.Second, run); len(samples) != 1 || calls != 1 {
		t.Errorf("slow case: %d samples in %d calls, want 1 and 1", len(samples), calls)
	}

	boom := errors.New("boom")
	if _, err := measure(p, 0, func(int) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("error not passed on: %v", err)
	}
}
