package store

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// opError is the error of an operation of this package: "store: ", the
// operation, and its cause, each said once. The cause's own "store: "
// (a nested call of this package) is dropped, and so is its operation
// where it names the same one, and a file operation's path where the
// operation names it already.
type opError struct {
	op  string // "open DIR", "search"
	err error
}

func (e *opError) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), "store: ")
	msg = strings.TrimPrefix(msg, e.op+": ")
	var pe *fs.PathError
	if errors.As(e.err, &pe) && strings.Contains(e.op, pe.Path) {
		// "stat DIR: no such file or directory" under "open DIR".
		msg = strings.Replace(msg, pe.Op+" "+pe.Path+": ", "", 1)
	}
	return "store: " + e.op + ": " + msg
}

func (e *opError) Unwrap() error { return e.err }

// opErr returns err as the cause of the operation format names.
func opErr(err error, format string, args ...any) error {
	return &opError{op: fmt.Sprintf(format, args...), err: err}
}
