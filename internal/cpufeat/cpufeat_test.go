package cpufeat

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestAgreesWithKernel compares the CPUID answers with the flags the Linux
// kernel reports for the same processor in /proc/cpuinfo.
func TestAgreesWithKernel(t *testing.T) {
	if runtime.GOARCH != "amd64" || runtime.GOOS != "linux" {
		t.Logf("have %s/%s", runtime.GOOS, runtime.GOARCH)
		testenv.SkipBecause(t, "/proc/cpuinfo flags are read on linux/amd64 only")
	}
	if Disabled {
		testenv.SkipBecause(t, "SILICA_CPU_SIMD=off turns detection off")
	}
	raw, err := os.ReadFile("/proc/cpuinfo")
	testenv.Need(t, "/proc/cpuinfo", err)
	flags := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		if name, val, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			for _, f := range strings.Fields(val) {
				flags[f] = true
			}
			break
		}
	}
	if len(flags) == 0 {
		testenv.Need(t, "/proc/cpuinfo", errors.New("no flags line"))
	}
	for _, c := range []struct {
		flag string
		got  bool
	}{{"avx", X86.AVX}, {"avx2", X86.AVX2}, {"fma", X86.FMA}, {"f16c", X86.F16C}, {"avx512f", X86.AVX512F}, {"amx_bf16", X86.AMXBF16}, {"avx512_bf16", X86.AVX512BF16}} {
		if c.got != flags[c.flag] {
			t.Errorf("%s: CPUID says %t, /proc/cpuinfo says %t", c.flag, c.got, flags[c.flag])
		}
	}
}

// TestOffSwitch runs this test binary again with SILICA_CPU_SIMD=off and
// checks that the child detected nothing.
func TestOffSwitch(t *testing.T) {
	if os.Getenv("CPUFEAT_CHILD") == "1" {
		fmt.Printf("features: %t %t %t %t %t %t %t %t\n", X86.AVX, X86.AVX2, X86.FMA, X86.F16C, X86.AVX512F, X86.AMXBF16, X86.AVX512BF16, ARM64.ASIMD)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOffSwitch$", "-test.v")
	cmd.Env = append(os.Environ(), "CPUFEAT_CHILD=1", "SILICA_CPU_SIMD=off")
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.ENOEXEC) {
		testenv.Need(t, "running the test binary again", fmt.Errorf("under an emulator? %w", err))
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "features: false false false false false false false false") {
		t.Fatalf("with SILICA_CPU_SIMD=off the child detected features:\n%s", out)
	}
}
