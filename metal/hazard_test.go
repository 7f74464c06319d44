package metal

import "testing"

func TestHazards(t *testing.T) {
	a, b, c, d := &fakeBuffer{}, &fakeBuffer{}, &fakeBuffer{}, &fakeBuffer{}
	h := newHazards()
	steps := []struct {
		reads, writes []devBuffer
		barrier       bool
		why           string
	}{
		{[]devBuffer{a}, []devBuffer{b}, false, "first launch"},
		{[]devBuffer{a}, []devBuffer{c}, false, "independent: reads a, writes c"},
		{[]devBuffer{b}, []devBuffer{a}, true, "reads b, written before (RAW)"},
		{[]devBuffer{c}, []devBuffer{d}, false, "c not written and d untouched since the barrier"},
		{nil, []devBuffer{c}, true, "writes c, read since the barrier (WAR)"},
		{nil, []devBuffer{c}, true, "writes c again (WAW)"},
		{[]devBuffer{a}, []devBuffer{b}, false, "a and b untouched since the barrier"},
	}
	for i, s := range steps {
		if got := h.next(s.reads, s.writes); got != s.barrier {
			t.Errorf("launch %d (%s): barrier %t, want %t", i, s.why, got, s.barrier)
		}
	}
}
