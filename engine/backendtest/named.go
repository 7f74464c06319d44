package backendtest

import (
	"os"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// Named opens the backends that the environment variable env names (comma
// separated, registered names such as cuda; none when unset), for a
// package's tests that also run on a real device where one is lent (the
// GPU machine): each engine is closed when t ends, and one that does not
// open fails t, since it was asked for.
func Named(t testing.TB, env string) []*engine.Engine {
	t.Helper()
	var es []*engine.Engine
	for _, name := range strings.Split(os.Getenv(env), ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		e, err := engine.Open(name)
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		t.Cleanup(func() { e.Close() })
		es = append(es, e)
	}
	return es
}
