package testenv

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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

// childEnv returns this process's environment with SILICA_CI and
// SILICA_CI_ALLOW set to ci and allow, and TESTENV_CHILD=1.
func childEnv(ci, allow string) []string {
	env := []string{"TESTENV_CHILD=1", "SILICA_CI=" + ci, "SILICA_CI_ALLOW=" + allow}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SILICA_CI") && !strings.HasPrefix(kv, "GOFLAGS=") {
			env = append(env, kv)
		}
	}
	return env
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
			cmd.Env = childEnv(c.ci, c.allow)
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

// TestReportUnderGoTest runs TestChild with "go test" in package list
// mode and without -v, where go test prints nothing of a passing
// package's own output, and checks that the skip line shows all the same.
func TestReportUnderGoTest(t *testing.T) {
	if runtime.GOOS != "linux" {
		SkipBecause(t, "the skip line reaches go test's output through /proc on linux only")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	_, err := os.Stat(goTool)
	Need(t, "go", err)
	cmd := exec.Command(goTool, "test", "-count=1", "-run=^TestChild$", "github.com/silica-go/silica/internal/testenv")
	cmd.Env = childEnv("", "")
	out, err := cmd.Output() // a pipe, as in a terminal or a CI log
	if err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	want := "skip\tgithub.com/silica-go/silica/internal/testenv\t3 tests: tool-x unavailable (2), -short (1)\n"
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), "ok  \tgithub.com/silica-go/silica/internal/testenv") {
		t.Fatalf("go test output lacks the skip line %q:\n%s", want, out)
	}
}
