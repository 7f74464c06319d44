package testenv

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
)

// Main runs the package's tests, writes its skip line (see Report) and
// exits. Every package with tests calls it from its TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) { os.Exit(Report(m.Run())) }

// Report writes one line naming the tests this process skipped, by
// reason, when it skipped any, and returns code, the exit status of
// m.Run. A TestMain that checks more after m.Run ends with
// os.Exit(testenv.Report(code)).
//
// "go test ./..." keeps a passing package's output to itself unless -v
// is given, so under go test without -v the line goes to the go command's
// own standard output where Linux lets a test reach it (a pipe or a
// terminal: /proc/PPID/fd/1), else to the terminal (/dev/tty), else to
// standard output. There it can come before the package's "ok" line and
// before other packages' lines, so it names the package:
//
//	skip	github.com/silica-go/silica/kernels	2 tests: clang unavailable (2)
//
// A result go test replays from its cache ("(cached)") ran no test and
// prints no line; -count=1 runs them again.
func Report(code int) int {
	line := Summary(packagePath(), counts())
	if line == "" {
		return code
	}
	w, closeW := output()
	io.WriteString(w, line)
	closeW()
	return code
}

// Summary returns the skip line of package pkg for the skip counts by
// reason, or "" when nothing was skipped. Reasons are listed by count,
// largest first, then by name.
func Summary(pkg string, counts map[string]int) string {
	total := 0
	reasons := make([]string, 0, len(counts))
	for r, n := range counts {
		if n > 0 {
			total += n
			reasons = append(reasons, r)
		}
	}
	if total == 0 {
		return ""
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := reasons[i], reasons[j]
		if counts[a] != counts[b] {
			return counts[a] > counts[b]
		}
		return a < b
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s (%d)", r, counts[r])
	}
	tests := "tests"
	if total == 1 {
		tests = "test"
	}
	return fmt.Sprintf("skip\t%s\t%d %s: %s\n", pkg, total, tests, strings.Join(parts, ", "))
}

// packagePath returns the import path of the package under test, from
// the test binary's build information ("path.test").
func packagePath() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Path != "" {
		return strings.TrimSuffix(bi.Path, ".test")
	}
	wd, _ := os.Getwd()
	return filepath.Base(wd)
}

// output returns where the skip line is seen, and how to close it.
func output() (io.Writer, func()) {
	none := func() {}
	// With -v (and -json) go test shows the binary's output; a binary run
	// by hand writes to its user.
	if testing.Verbose() || !underGoTest() {
		return os.Stdout, none
	}
	parent := fmt.Sprintf("/proc/%d/fd/1", os.Getppid())
	// Only a stream: a regular file would be written at an offset the go
	// command then writes over.
	if fi, err := os.Stat(parent); err == nil && fi.Mode()&(os.ModeNamedPipe|os.ModeSocket|os.ModeCharDevice) != 0 {
		if f, err := os.OpenFile(parent, os.O_WRONLY|os.O_APPEND, 0); err == nil {
			return f, func() { f.Close() }
		}
	}
	if f, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		return f, func() { f.Close() }
	}
	return os.Stdout, none
}

// underGoTest reports whether the go command runs this test binary (it
// passes -test.paniconexit0).
func underGoTest() bool {
	f := flag.Lookup("test.paniconexit0")
	return f != nil && f.Value.String() == "true"
}
