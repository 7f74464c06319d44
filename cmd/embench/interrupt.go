package main

import (
	"fmt"
	"io"
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
		writePartial(sig.String())
		os.Exit(130)
	}()
}

// live is the run in progress, for the partial report an interrupt
// prints: the results are appended under its lock.
var live struct {
	sync.Mutex
	rep            *Report
	cfg            *config
	stdout, stderr io.Writer
}

// writePartial prints the cases finished so far (markdown, and the JSON
// and CSV files asked for), marked as partial, so that a run stopped by a
// time limit still reports what it measured.
func writePartial(why string) {
	live.Lock()
	defer live.Unlock()
	if live.rep == nil || len(live.rep.Results) == 0 {
		return
	}
	rep := *live.rep
	rep.Results = append([]Result(nil), live.rep.Results...)
	rep.Interrupted = why
	rep.rank()
	writeMarkdown(live.stdout, &rep)
	for _, out := range []struct {
		path  string
		write func(string, *Report) error
	}{{live.cfg.JSON, writeJSON}, {live.cfg.CSV, writeCSV}} {
		if out.path != "" {
			if err := out.write(out.path, &rep); err != nil {
				fmt.Fprintf(live.stderr, "embench: write %s: %v\n", out.path, err)
			}
		}
	}
}
