package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Type-checking the standard library and darwinkit takes seconds, so the
// tests share one Check over every package they look at.
var (
	shared     *Result
	sharedErr  error
	sharedOnce sync.Once
)

const (
	goodPkg  = "github.com/silica-go/silica/internal/tools/darwincheck/testdata/good"
	badPkg   = "github.com/silica-go/silica/internal/tools/darwincheck/testdata/bad"
	testPkg  = "github.com/silica-go/silica/internal/tools/darwincheck/testdata/badtest"
	cnamePkg = "github.com/silica-go/silica/internal/tools/darwincheck/testdata/cname"
	metalPkg = "github.com/silica-go/silica/metal"
)

func checkAll(t *testing.T) *Result {
	t.Helper()
	sharedOnce.Do(func() {
		shared, sharedErr = Check(".", []string{"./testdata/good", "./testdata/bad", "./testdata/badtest", "./testdata/cname", "../../../metal/...", "../../../backends"}, true)
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func problemsOf(res *Result, pkg string) []Problem {
	var out []Problem
	for _, p := range res.Problems {
		if p.Package == pkg {
			out = append(out, p)
		}
	}
	return out
}

// plantedLine returns the line of a testdata file marked "planted".
func plantedLine(t *testing.T, file string) int {
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), "// planted") {
			return n
		}
	}
	t.Fatal("no line marked planted in", file)
	return 0
}

func TestCatchesPlantedError(t *testing.T) {
	res := checkAll(t)
	probs := problemsOf(res, badPkg)
	if len(probs) != 1 {
		t.Fatalf("want exactly the planted error in %s, got %d problems: %v", badPkg, len(probs), probs)
	}
	p := probs[0]
	wantPos := "bad_darwin.go:" + strconv.Itoa(plantedLine(t, "bad/bad_darwin.go")) + ":"
	if !strings.Contains(p.Pos, wantPos) {
		t.Errorf("error at %s, want %s", p.Pos, wantPos)
	}
	for _, w := range []string{"cannot use n", "int", "uint", "NewBufferWithLengthOptions"} {
		if !strings.Contains(p.Msg, w) {
			t.Errorf("message %q lacks %q", p.Msg, w)
		}
	}
}

func TestAcceptsCorrectCode(t *testing.T) {
	res := checkAll(t)
	if probs := problemsOf(res, goodPkg); len(probs) > 0 {
		t.Errorf("correct darwin code rejected: %v", probs)
	}
	// The closure must really have been loaded and checked from source:
	// the runtime, darwinkit's cgo packages, and the package itself.
	if res.Packages < 50 {
		t.Errorf("only %d packages checked; want the whole closure (runtime, darwinkit...)", res.Packages)
	}
	for _, want := range []string{goodPkg, badPkg} {
		if !contains(res.Targets, want) {
			t.Errorf("%s not among the matched packages %v", want, res.Targets)
		}
	}
}

// TestMetalBackend is the check CI relies on: the Metal backend and the
// aggregator that imports it type-check for darwin.
func TestMetalBackend(t *testing.T) {
	res := checkAll(t)
	if !contains(res.Targets, metalPkg) {
		t.Fatalf("%s not checked (matched %v)", metalPkg, res.Targets)
	}
	for _, p := range res.Problems {
		if p.Package != badPkg && p.Package != testPkg && p.Package != cnamePkg {
			t.Errorf("%v", p)
		}
	}
}

// TestChecksTestFiles: with tests, a darwin-only _test.go file is checked;
// without, it is not.
func TestChecksTestFiles(t *testing.T) {
	probs := problemsOf(checkAll(t), testPkg)
	want := "badtest_darwin_test.go:" + strconv.Itoa(plantedLine(t, "badtest/badtest_darwin_test.go")) + ":"
	if len(probs) != 1 || !strings.Contains(probs[0].Pos, want) || !strings.Contains(probs[0].Msg, "Twice(2)") {
		t.Errorf("want the planted error at %s, got %v", want, probs)
	}
	res, err := Check(".", []string{"./testdata/badtest"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 {
		t.Errorf("without tests, the test file was checked: %v", res.Problems)
	}
}

// TestCNameNotInPreamble: a C function misspelt against a preamble that
// includes no header is reported; the declared names and cgo's own types
// are not.
func TestCNameNotInPreamble(t *testing.T) {
	probs := problemsOf(checkAll(t), cnamePkg)
	want := "cname_darwin.go:" + strconv.Itoa(plantedLine(t, "cname/cname_darwin.go")) + ":"
	if len(probs) != 1 || !strings.Contains(probs[0].Pos, want) || !strings.Contains(probs[0].Msg, "C.silicaNewDevise") {
		t.Errorf("want one error for C.silicaNewDevise at %s, got %v", want, probs)
	}
}

// TestLinuxBuildMissesIt shows why the tool exists: the package with the
// planted error builds for Linux, where the darwin file is left out.
func TestLinuxBuildMissesIt(t *testing.T) {
	cmd := exec.Command("go", "build", "-o", os.DevNull, "./testdata/bad")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Linux build of testdata/bad should succeed (the error is in a darwin-only file): %v\n%s", err, out)
	}
}

func TestExitStatus(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"./testdata/bad"}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit status %d on the planted error, want 1; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "bad_darwin.go") {
		t.Errorf("stderr does not name the file:\n%s", stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"-nosuchflag"}, &stdout, &stderr); code != 2 {
		t.Errorf("exit status %d on a bad flag, want 2", code)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
