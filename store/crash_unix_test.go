//go:build unix

package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestKilledDuringSave kills a real process (SIGKILL, no deferred code
// runs) at points of a save and opens what it left.
func TestKilledDuringSave(t *testing.T) {
	if dir := os.Getenv("SILICA_STORE_KILL_DIR"); dir != "" {
		killHelper(dir, os.Getenv("SILICA_STORE_KILL_AT"))
		return
	}
	a, b := twoStores(t)
	q := randVectors(rand.New(rand.NewPCG(1, 1)), 3, 10)
	wantA, wantB := results(t, a, q, 20), results(t, b, q, 20)
	for _, c := range crashPoints {
		if c.point != "write embeddings.npy" && c.point != "switch current" && c.point != "remove old" {
			continue
		}
		dir := filepath.Join(t.TempDir(), "s")
		if err := a.Save(dir); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledDuringSave$")
		cmd.Env = append(os.Environ(), "SILICA_STORE_KILL_DIR="+dir, "SILICA_STORE_KILL_AT="+c.point)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("kill at %q: the helper ended with %v, not SIGKILL:\n%s", c.point, err, out)
		}
		opensAs(t, "killed at "+c.point, dir, q, wantA, wantB, c.isNew)
	}
}

// killHelper saves the second store of twoStores into dir and kills its
// own process at the point named.
func killHelper(dir, at string) {
	t := &testing.T{}
	_, b := twoStores(t)
	saveHook = func(p string) error {
		if p == at {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return nil
	}
	err := b.Save(dir)
	fmt.Fprintf(os.Stderr, "save finished without reaching %q: %v\n", at, err)
	os.Exit(3)
}
