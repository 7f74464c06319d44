// Package testenv decides what a test does when something it needs (a
// GPU, clang, NumPy, libtorch, MLX) is absent: on a developer's machine it
// skips with the reason; in CI, where .ci/run installs everything, the
// environment variable SILICA_CI=1 turns that skip into a failure, so a
// test that CI believes it ran cannot silently not run.
//
// A need can be waived in CI by naming it in SILICA_CI_ALLOW (comma
// separated), for needs no CI machine can meet, such as "cuda" and
// "metal".
//
// A skip that is not about a missing tool (-short, a test that means
// nothing on this platform) goes through SkipBecause. Every skip, of
// either kind, is counted, and Main, which every package's TestMain
// calls, prints one line per package that skipped anything, so that
// "go test ./..." shows its skips without -v.
package testenv

import (
	"os"
	"strings"
	"testing"
)

// InCI reports whether the tests run under .ci/run (SILICA_CI=1).
func InCI() bool { return os.Getenv("SILICA_CI") == "1" }

// Allowed reports whether need may be missing in CI.
func Allowed(need string) bool {
	for _, a := range strings.Split(os.Getenv("SILICA_CI_ALLOW"), ",") {
		if strings.TrimSpace(a) == need {
			return true
		}
	}
	return false
}

// Need skips the test when err is non-nil, naming need and err; in CI it
// fails instead, unless need is allowed to be missing there.
func Need(t testing.TB, need string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if InCI() && !Allowed(need) {
		t.Fatalf("%s is required in CI (SILICA_CI=1) but unavailable: %v", need, err)
	}
	record(need + " unavailable")
	t.Skipf("skipped: %s unavailable: %v", need, err)
}
