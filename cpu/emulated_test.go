package cpu

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// emulatedTests are the tests that exercise the architecture kernels
// against float64 references: their "simd" subtests only, as the
// portable code is the same on every architecture and runs natively.
const emulatedTests = "(Kernels|Exact|Random|Special|Gemm|MatMul|Scan$|DotTile|L2Tile|Reduce)/simd"

// TestArm64Emulated runs the arm64 build of this package's kernel tests
// (the NEON assembly) under qemu-user, so that an amd64 machine checks
// them too. The emulator comes from $SILICA_QEMU_ARM64 or the PATH
// (.ci/setup.d/30-qemu-arm64.sh installs it in CI). It runs them with
// -short, which drops the largest sizes of TestScan and TestGemm, unless
// SILICA_EXHAUSTIVE=1.
func TestArm64Emulated(t *testing.T) {
	if runtime.GOARCH != "amd64" || runtime.GOOS != "linux" {
		t.Logf("on %s/%s the kernels are tested directly", runtime.GOOS, runtime.GOARCH)
		testenv.SkipBecause(t, "runs from linux/amd64 only")
	}
	if testing.Short() {
		t.Log("the emulated run takes about a minute")
		testenv.SkipBecause(t, "-short")
	}
	qemu := os.Getenv("SILICA_QEMU_ARM64")
	var err error
	if qemu == "" {
		qemu, err = exec.LookPath("qemu-aarch64")
	}
	testenv.Need(t, "qemu-aarch64", err)
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			testenv.Need(t, "go", errors.New("no go command to build the arm64 tests"))
		}
	}
	args := []string{"test", "-count=1", "-exec", qemu, "-run", emulatedTests}
	if !testenv.Exhaustive() {
		args = append(args, "-short") // testScanCases and testGemmSizes drop their largest cases
	}
	cmd := exec.Command(goTool, append(args, ".")...)
	cmd.Env = append(os.Environ(), "GOARCH=arm64", "CGO_ENABLED=0", "SILICA_CPU_SIMD=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("arm64 tests under %s: %v\n%s", qemu, err, out)
	}
	t.Logf("arm64 under %s:\n%s", qemu, out)
}
