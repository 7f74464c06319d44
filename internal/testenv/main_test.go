package testenv

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestSummary(t *testing.T) {
	for _, c := range []struct {
		counts map[string]int
		want   string
	}{
		{nil, ""},
		{map[string]int{"clang unavailable": 0}, ""},
		{map[string]int{"-short": 1}, "skip\tp/q\t1 test: -short (1)\n"},
		{
			map[string]int{"numpy unavailable": 3, "clang unavailable": 9, "-short": 3},
			"skip\tp/q\t15 tests: clang unavailable (9), -short (3), numpy unavailable (3)\n",
		},
	} {
		if got := Summary("p/q", c.counts); got != c.want {
			t.Errorf("Summary(%v) = %q, want %q", c.counts, got, c.want)
		}
	}
}

// TestChild is the test that TestReport runs in a child process: two
// subtests miss a tool, one skips on purpose, one runs.
func TestChild(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "1" {
		return // only in the child
	}
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			Need(t, "tool-x", errors.New("not installed"))
			t.Fatal("Need returned although tool-x is missing")
		})
	}
	t.Run("short", func(t *testing.T) {
		SkipBecause(t, "-short")
		t.Fatal("SkipBecause returned")
	})
	t.Run("runs", func(t *testing.T) {})
}

// TestReport runs TestChild in a child process, as a developer and as CI
// would, and checks its exit status and its skip line.
func TestReport(t *testing.T) {
	const line = "skip\tgithub.com/silica-go/silica/internal/testenv\t3 tests: tool-x unavailable (2), -short (1)\n"
	for _, c := range []struct {
		name, ci, allow string
		fail            bool
		want            string
	}{
		{name: "developer", want: line},
		{name: "CI", ci: "1", fail: true, want: "tool-x is required in CI (SILICA_CI=1) but unavailable: not installed"},
		{name: "CI allowing tool-x", ci: "1", allow: "cuda, tool-x", want: line},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
			cmd.Env = []string{"TESTENV_CHILD=1", "SILICA_CI=" + c.ci, "SILICA_CI_ALLOW=" + c.allow}
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "SILICA_CI") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if failed := err != nil; failed != c.fail {
				t.Fatalf("child failed: %t (%v), want %t; output:\n%s", failed, err, c.fail, out.String())
			}
			if !strings.Contains(out.String(), c.want) {
				t.Fatalf("child output lacks %q:\n%s", c.want, out.String())
			}
		})
	}
}
