package cuda

import (
	"errors"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/errtext"
	"github.com/silica-go/silica/internal/testenv"
)

// TestOpenLibMessage checks the error of a library that is nowhere: one
// line, each path tried once with the loader's reason, the action last.
func TestOpenLibMessage(t *testing.T) {
	t.Setenv("SILICA_TEST_LIB", "/nonexistent/silica/env/libfake.so")
	cands := []string{"libsilica_fake.so.1", "/nonexistent/silica/a/libfake.so.1", "/nonexistent/silica/b/libfake.so.1"}
	_, _, err := openLib("libfake", "SILICA_TEST_LIB", "install fake", cands)
	if err == nil {
		t.Fatal("openLib found a library that does not exist")
	}
	msg := err.Error()
	t.Log(msg)
	if bad := errtext.Check(msg, "install fake, or set SILICA_TEST_LIB to its path"); bad != nil {
		t.Errorf("message %q: %s", msg, strings.Join(bad, "; "))
	}
	for _, p := range append(cands, "/nonexistent/silica/env/libfake.so") {
		if n := strings.Count(msg, p); n != 1 {
			t.Errorf("%s appears %d times in %q; want once", p, n, msg)
		}
	}
}

// TestOpenMessage checks engine.Open("cuda")'s error where it fails (no
// driver, no GPU, no NVRTC): it wraps engine.ErrUnavailable and has the
// shape errtext.Check wants.
func TestOpenMessage(t *testing.T) {
	_, err := engine.Open("cuda")
	if err == nil {
		t.Log("cuda opens here: no failure to check")
		return
	}
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("error %v does not wrap engine.ErrUnavailable", err)
	}
	msg := err.Error()
	t.Log(msg)
	if bad := errtext.Check(msg, ""); bad != nil {
		t.Errorf("message %q: %s", msg, strings.Join(bad, "; "))
	}
	if !strings.HasSuffix(msg, "to its path") {
		t.Errorf("message %q does not end with what to do", msg)
	}
}

// TestCompileSaysSo checks that compiling a kernel is announced through
// engine.Progress, naming it, and that a kernel read from the disk cache
// is not. NVRTC alone is needed, no GPU.
func TestCompileSaysSo(t *testing.T) {
	testenv.Need(t, "nvrtc", loadNVRTC())
	arch, cubin := target(90)
	var lines []string
	engine.SetProgress(func(m string) { lines = append(lines, m) })
	defer engine.SetProgress(nil)
	v := variant{file: "elementwise.cu", kind: "progress", dtype: engine.Float32, extra: "extern \"C\" __global__ void ew_progress(float* x) { x[0] = 1; }\n"}
	dir := t.TempDir()
	if _, _, err := v.build(arch, cubin, dir, "test"); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "compiling kernel elementwise_progress_float32 with NVRTC") || !strings.Contains(lines[0], dir) {
		t.Errorf("progress of a compile: %q; want one line naming the kernel and the cache", lines)
	}
	lines = nil
	if _, _, err := v.build(arch, cubin, dir, "test"); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 0 {
		t.Errorf("progress of a cached kernel: %q; want none", lines)
	}
}
