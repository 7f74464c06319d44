package testenv

import (
	"sync"
	"testing"
)

// SkipBecause skips the test for a reason that is not a missing tool: the
// test means nothing here (-short, another platform, a driver present
// where the test checks its absence). It skips in CI too, and is counted
// in the package's skip line like a missing need. reason is short and
// fixed ("-short", "not linux/amd64"), as the skip line groups tests by
// it; details go in t.Log before the call.
func SkipBecause(t testing.TB, reason string) {
	t.Helper()
	record(reason)
	t.Skipf("skipped: %s", reason)
}

// skips counts the tests this process skipped, by reason.
var skips struct {
	sync.Mutex
	n map[string]int
}

func record(reason string) {
	skips.Lock()
	defer skips.Unlock()
	if skips.n == nil {
		skips.n = map[string]int{}
	}
	skips.n[reason]++
}

// counts returns a copy of the skip counts.
func counts() map[string]int {
	skips.Lock()
	defer skips.Unlock()
	c := make(map[string]int, len(skips.n))
	for k, v := range skips.n {
		c[k] = v
	}
	return c
}
