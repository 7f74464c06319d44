package main

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// scratch holds the temporary directories of the run (the peers' .npy
// inputs can take gigabytes), removed on exit and on an interrupt.
var scratch struct {
	sync.Mutex
	dirs map[string]bool
}

// tempDir makes a scratch directory that an interrupt removes.
func tempDir() (string, error) {
	dir, err := os.MkdirTemp("", "embench-")
	if err != nil {
		return "", err
	}
	scratch.Lock()
	defer scratch.Unlock()
	if scratch.dirs == nil {
		scratch.dirs = map[string]bool{}
	}
	scratch.dirs[dir] = true
	return dir, nil
}

// removeDir removes a scratch directory now.
func removeDir(dir string) {
	scratch.Lock()
	defer scratch.Unlock()
	delete(scratch.dirs, dir)
	os.RemoveAll(dir)
}

// onInterrupt removes the scratch directories and exits when the run is
// interrupted (the Python peers, in the same process group, get the
// signal too).
func onInterrupt() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-c
		scratch.Lock()
		for dir := range scratch.dirs {
			os.RemoveAll(dir)
		}
		scratch.Unlock()
		fmt.Fprintf(os.Stderr, "\nembench: %v: stopped\n", sig)
		os.Exit(130)
	}()
}
