package engine

import (
	"fmt"
	"sync/atomic"
)

// progress is the function SetProgress set, or nil.
var progress atomic.Pointer[func(string)]

// SetProgress sets the function that receives one line whenever a backend
// starts something slow that the caller did not ask for by name, so that a
// program can say why it is silent: compiling a C++ shim against libtorch
// or MLX at first use (a minute or more), compiling a GPU kernel at first
// use (seconds each). Silica's packages never print on their own; with
// no function set (the default, or f nil) these lines are dropped.
// cmd/embench and cmd/silica print them on standard error. f may be
// called from any goroutine, one call at a time per backend.
func SetProgress(f func(msg string)) {
	if f == nil {
		progress.Store(nil)
		return
	}
	progress.Store(&f)
}

// Progress formats a line (fmt.Sprintf) and hands it to the function
// SetProgress set, if any. Backends call it when something slow starts.
func Progress(format string, args ...any) {
	if f := progress.Load(); f != nil {
		(*f)(fmt.Sprintf(format, args...))
	}
}
