package cuda

import (
	"slices"
	"testing"

	"github.com/silica-go/silica/engine"
)

// TestTraceDriver checks that a driver trace records an Eval's calls in
// order (its launches, then the stream's synchronize) with the caller's
// marks, that the traced Eval still computes the right sum, and that
// nothing is recorded once the trace is off.
func TestTraceDriver(t *testing.T) {
	b := openTest(t)
	e := engine.New("cuda", b)
	a, err := e.FromFloat32([]float32{1, 2, 3, 4, 5}, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	TraceDriver(true)
	TraceMark("begin")
	s, err := engine.Sum(a, -1)
	if err == nil {
		err = e.Eval(s)
	}
	var got []float32
	if err == nil {
		got, err = s.Float32()
	}
	TraceMark("end")
	calls := DriverTrace()
	TraceDriver(false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != 15 {
		t.Errorf("sum under a trace = %v; want [15]", got)
	}
	var names []string
	for i, c := range calls {
		names = append(names, c.Name)
		if i > 0 && c.Start < calls[i-1].Start {
			t.Errorf("call %d %s starts at %v, before call %d's %v", i, c.Name, c.Start, i-1, calls[i-1].Start)
		}
	}
	launch, sync := slices.Index(names, "cuLaunchKernel"), slices.Index(names, "cuStreamSynchronize")
	if names[0] != "begin" || names[len(names)-1] != "end" || launch < 0 || sync < launch {
		t.Errorf("trace %q: want begin, a launch, then the stream's synchronize, then end", names)
	}
	TraceMark("after")
	if _, err := s.Float32(); err != nil {
		t.Fatal(err)
	}
	if n := len(DriverTrace()); n != len(calls) {
		t.Errorf("the trace holds %d calls after it stopped, %d before", n, len(calls))
	}
	s.Free()
}
