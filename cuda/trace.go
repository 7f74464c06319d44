package cuda

import (
	"reflect"
	"sync"
	"time"
)

// A driver trace records every driver call with its start and duration,
// for benchmarks that look for where a search's wall time goes outside
// the kernels (cmd/cudabench -storeprof). While it is on, each call goes
// through a reflect wrapper (about a microsecond more a call).

// DriverCall is a driver call of a trace (or a mark the caller added):
// its name, when it began since the trace started, and how long it took.
type DriverCall struct {
	Name  string
	Start time.Duration
	Dur   time.Duration
}

var traceState struct {
	mu    sync.Mutex
	on    bool
	t0    time.Time
	calls []DriverCall
	saved map[string]reflect.Value // the unwrapped functions, by symbol
}

// TraceDriver starts a driver trace (on), clearing the calls of any
// earlier one, or stops it, keeping its calls for DriverTrace. Call it
// while no backend is running anything, after the driver has loaded
// (Open); before then it does nothing.
func TraceDriver(on bool) {
	t := &traceState
	t.mu.Lock()
	defer t.mu.Unlock()
	if on {
		t.calls, t.t0 = t.calls[:0], time.Now()
	}
	if cudaErr != nil || cuInit == nil || on == t.on {
		return
	}
	t.on = on
	if t.saved == nil {
		t.saved = map[string]reflect.Value{}
	}
	for name, p := range driverSymbols() {
		v := reflect.ValueOf(p).Elem()
		if !on {
			v.Set(t.saved[name])
			continue
		}
		orig := reflect.ValueOf(v.Interface())
		t.saved[name] = orig
		v.Set(reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
			start := time.Now()
			out := orig.Call(args)
			traceAdd(name, start, time.Since(start))
			return out
		}))
	}
}

// TraceMark adds a mark of no duration to the trace, when one is on.
func TraceMark(name string) { traceAdd(name, time.Now(), 0) }

func traceAdd(name string, start time.Time, d time.Duration) {
	t := &traceState
	t.mu.Lock()
	if t.on {
		t.calls = append(t.calls, DriverCall{name, start.Sub(t.t0), d})
	}
	t.mu.Unlock()
}

// DriverTrace returns the calls (and marks) of the trace so far.
func DriverTrace() []DriverCall {
	t := &traceState
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]DriverCall(nil), t.calls...)
}
