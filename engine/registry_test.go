package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/errtext"
)

// absentDriver fails to open as a backend whose library is missing does.
type absentDriver struct{}

func (absentDriver) Open(device string) (engine.Backend, error) {
	return nil, fmt.Errorf("%w: libabsent.so not found; install absent", engine.ErrUnavailable)
}

func init() { engine.Register("absent", absentDriver{}) }

// TestOpenMessages checks the shape of Open's and Default's errors: one
// line, no prefix repeated (ErrUnavailable's "engine: " inside Open's),
// the action last, and errors.Is still finding ErrUnavailable.
func TestOpenMessages(t *testing.T) {
	check := func(what string, err error, action string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		msg := err.Error()
		if bad := errtext.Check(msg, action); bad != nil {
			t.Errorf("%s: %q: %s", what, msg, strings.Join(bad, "; "))
		}
	}
	_, err := engine.Open("absent")
	check(`Open("absent")`, err, "install absent")
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("Open(\"absent\"): %v does not wrap ErrUnavailable", err)
	}
	if want := `engine: open "absent": backend unavailable: libabsent.so not found; install absent`; err.Error() != want {
		t.Errorf("Open(\"absent\") = %q; want %q", err, want)
	}
	_, err = engine.Open("nosuch")
	check(`Open("nosuch")`, err, "import github.com/silica-go/silica/backends to register every backend")
	t.Setenv(engine.EnvBackend, "absent")
	_, err = engine.Default()
	check("Default with SILICA_BACKEND=absent", err, "install absent")
	if !strings.Contains(err.Error(), engine.EnvBackend) || !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("Default with %s=absent: %v; want the variable named and ErrUnavailable wrapped", engine.EnvBackend, err)
	}
}

// listingDriver names two devices; absentDriver names none.
type listingDriver struct{ absentDriver }

func (listingDriver) Devices() []string { return []string{"a", "b"} }

func init() { engine.Register("listing", listingDriver{}) }

// TestDevices: a driver's DeviceLister answers Devices; a driver without
// one, and an unknown name, list nothing.
func TestDevices(t *testing.T) {
	if got, ok := engine.Devices("listing"); !ok || strings.Join(got, ",") != "a,b" {
		t.Errorf(`Devices("listing") = %q, %v; want [a b], true`, got, ok)
	}
	for _, name := range []string{"absent", "nosuch"} {
		if got, ok := engine.Devices(name); ok || got != nil {
			t.Errorf("Devices(%q) = %q, %v; want nil, false", name, got, ok)
		}
	}
}
