//go:build !darwin || !cgo

package metal

import (
	"fmt"
	"runtime"

	"github.com/silica-go/silica/engine"
)

// New opens a backend on the system's default Metal device. This build
// has none: Metal is reached only from macOS, through cgo, so New returns
// an error wrapping engine.ErrUnavailable, and the package registers no
// driver.
func New() (*Backend, error) {
	return nil, fmt.Errorf("%w: metal needs macOS on Apple Silicon and cgo (CGO_ENABLED=1, Xcode's command-line tools); this build is %s/%s or has cgo off",
		engine.ErrUnavailable, runtime.GOOS, runtime.GOARCH)
}
