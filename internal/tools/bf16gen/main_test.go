package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestGenerated checks that cpu/dpbf16_amd64.s is what bf16gen writes
// now (binutils' encodings of its instructions).
func TestGenerated(t *testing.T) {
	for _, tool := range []string{"as", "objdump"} {
		_, err := exec.LookPath(tool)
		testenv.Need(t, "binutils", err)
	}
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../../cpu/dpbf16_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("cpu/dpbf16_amd64.s differs from what bf16gen writes: go run ./internal/tools/bf16gen > cpu/dpbf16_amd64.s")
	}
}
