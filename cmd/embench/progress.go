package main

import (
	"fmt"

	"github.com/silica-go/silica/engine"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress writes one status line to stderr while the benchmark runs: on
// a terminal it rewrites the line in place, elsewhere (a CI log) it
// writes a line per step.
type progress struct {
	mu    sync.Mutex // show may come from a backend's goroutine (engine.Progress)
	w     io.Writer
	tty   bool
	quiet bool
	group string // "3/11": the group running
	start time.Time
	width int // of the last line drawn on a terminal
}

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) show(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("embench %5.1fs [%s] %s", time.Since(p.start).Seconds(), p.group, fmt.Sprintf(format, args...))
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	pad := max(0, p.width-len(line))
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.width = len(line)
}

// announce shows the lines backends report through engine.Progress
// (a shim or a kernel compiling at first use) until the returned function
// is called.
func (p *progress) announce() (stop func()) {
	engine.SetProgress(func(msg string) { p.show("%s", msg) })
	return func() { engine.SetProgress(nil) }
}

// clear removes the line from a terminal.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet || !p.tty || p.width == 0 {
		return
	}
	fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	p.width = 0
}
