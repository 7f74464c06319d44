package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestMain runs the program itself when QUICKSTART_RUN=1, so that the test
// sees its real output and exit status.
func TestMain(m *testing.M) {
	if os.Getenv("QUICKSTART_RUN") == "1" {
		main()
		os.Exit(0)
	}
	testenv.Main(m)
}

// readmeBlock returns the body of the first fenced block of kind lang
// after heading in README.md.
func readmeBlock(t *testing.T, heading, lang string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q", heading)
	}
	s = s[i:]
	fence := "\n```" + lang + "\n"
	j := strings.Index(s, fence)
	if j < 0 {
		t.Fatalf("README.md has no ```%s block after %q", lang, heading)
	}
	s = s[j+len(fence):]
	k := strings.Index(s, "\n```\n")
	if k < 0 {
		t.Fatalf("README.md's ```%s block after %q does not end", lang, heading)
	}
	return s[:k+1]
}

// TestREADMEIsThisProgram checks that the README's Quick start is this
// file, from "package main" on, byte for byte.
func TestREADMEIsThisProgram(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	prog := string(src)
	prog = prog[strings.Index(prog, "package main"):]
	if got := readmeBlock(t, "## Quick start", "go"); got != prog {
		t.Errorf("README.md's Quick start differs from examples/quickstart/main.go; copy the file into the README.\nREADME:\n%s", got)
	}
}

// TestOutput runs the program on the CPU backend and checks what it
// prints against the float64 cosines of its inputs and against the
// output the README shows.
func TestOutput(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "QUICKSTART_RUN=1", "SILICA_BACKEND=cpu")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("quickstart: %v: %s", err, errb.String())
	}
	// The program's data, scored in float64 here.
	corpus := [][]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {1, 1, 0, 0}, {0, 0, 1, 1}}
	ids := []int64{10, 20, 30, 40}
	q := []float64{1, 0.5, 0, 0}
	cos := func(a, b []float64) float64 {
		var ab, aa, bb float64
		for i := range a {
			ab, aa, bb = ab+a[i]*b[i], aa+a[i]*a[i], bb+b[i]*b[i]
		}
		return ab / math.Sqrt(aa*bb)
	}
	best, second := -1, -1
	for i := range corpus {
		switch {
		case best < 0 || cos(q, corpus[i]) > cos(q, corpus[best]):
			best, second = i, best
		case second < 0 || cos(q, corpus[i]) > cos(q, corpus[second]):
			second = i
		}
	}
	s1, s2 := cos(q, corpus[best]), cos(q, corpus[second])
	want := fmt.Sprintf("engine: rows [%d %d], scores [%.4f %.4f]\n", best, second, s1, s2) +
		fmt.Sprintf("store: id %d, score %.4f\nstore: id %d, score %.4f\n", ids[best], s1, ids[second], s2) +
		fmt.Sprintf("reopened: %d vectors, best id %d\n", len(corpus), ids[best])
	if out.String() != want {
		t.Errorf("quickstart printed:\n%swant (float64 reference):\n%s", out.String(), want)
	}
	if readme := readmeBlock(t, "## Quick start", "text"); readme != want {
		t.Errorf("README.md shows the output:\n%swant:\n%s", readme, want)
	}
}
