package shimtest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/errtext"
	"github.com/silica-go/silica/internal/shim"
)

// Device returns the value of the environment variable env, or def.
func Device(env, def string) string {
	if d := os.Getenv(env); d != "" {
		return d
	}
	return def
}

// Registry opens spec ("torch:cpu") through engine.Open, as programs do,
// and checks the device description and one small result (the norm of
// [3 4] is 5). It skips like Open when the library is unavailable.
func Registry(t *testing.T, need, spec string, open func() (*shim.Backend, error), versionHas string) {
	t.Helper()
	Open(t, need, open)
	e, err := engine.Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	name, _ := engine.SplitName(spec)
	if d := e.Device(); d.Backend != name || !strings.Contains(d.Version, versionHas) {
		t.Errorf("%s: device %+v; want backend %s, a version with %q", spec, d, name, versionHas)
	}
	x, err := e.FromFloat32([]float32{3, 4}, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	n, err := engine.Norm(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := n.Float32(); err != nil || len(v) != 1 || v[0] != 5 {
		t.Errorf("%s: norm of [3 4]: %v, %v; want [5]", spec, v, err)
	}
}

// MissingDevices opens each device with open: each must open or fail
// with engine.ErrUnavailable (a device the library lacks), never crash;
// engine.Open of driver:device must fail alike, with a message of the
// shape errtext.Check wants.
func MissingDevices(t *testing.T, driver string, open func(device string) (*shim.Backend, error), devices ...string) {
	t.Helper()
	for _, d := range devices {
		b, err := open(d)
		if err == nil {
			t.Logf("the library has %s", d)
			b.Close()
			continue
		}
		if !errors.Is(err, engine.ErrUnavailable) {
			t.Errorf("open %q: %v; want ErrUnavailable", d, err)
		}
		_, err = engine.Open(driver + ":" + d)
		if err == nil || !errors.Is(err, engine.ErrUnavailable) {
			t.Errorf("engine.Open(%q): %v; want ErrUnavailable", driver+":"+d, err)
			continue
		}
		if bad := errtext.Check(err.Error(), ""); bad != nil {
			t.Errorf("engine.Open(%q): message %q: %s", driver+":"+d, err, strings.Join(bad, "; "))
		}
	}
}

// FakePython writes a shell script that answers every invocation with
// lines, to stand for a Python interpreter in discovery tests.
func FakePython(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "python")
	script := "#!/bin/sh\n"
	for _, l := range lines {
		script += "echo '" + l + "'\n"
	}
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Env returns a getenv over vars alone.
func Env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// WriteFiles creates files (path: content) and their folders.
func WriteFiles(t *testing.T, files map[string]string) {
	t.Helper()
	for p, s := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
