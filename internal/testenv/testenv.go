// Package testenv decides what a test does when something it needs (a
// GPU, clang, NumPy, libtorch, MLX) is absent: on a developer's machine it
// skips with the reason; in CI, where .ci/run installs everything, the
// environment variable SILICA_CI=1 turns that skip into a failure, so a
// test that CI believes it ran cannot silently not run.
//
// A need can be waived in CI by naming it in SILICA_CI_ALLOW (comma
// separated), for needs no CI machine can meet, such as "cuda" and
// "metal".
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
	t.Skipf("skipped: %s unavailable: %v", need, err)
}
