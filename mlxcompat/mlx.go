package mlxcompat

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/shim"
)

// Environment variables that choose the MLX (see the package doc).
const (
	// EnvMLX names a folder with include/mlx/mlx.h and lib/libmlx, tried
	// first (a Homebrew prefix, a source build's install folder).
	EnvMLX = "SILICA_MLX"
	// EnvPython names a Python whose mlx package to use, tried before
	// SILICA_PYTHON and python3.
	EnvPython = "SILICA_MLX_PYTHON"
	// EnvShim names a shim library built by hand; nothing is compiled.
	EnvShim = "SILICA_MLX_SHIM"
)

// prefixes are where Homebrew and system packages put MLX.
var prefixes = []string{"/opt/homebrew", "/usr/local", "/usr"}

// install is one MLX installation: a folder with include/ and lib/.
type install struct {
	origin  string
	dir     string
	version string
}

func libName() string {
	if runtime.GOOS == "darwin" {
		return "libmlx.dylib"
	}
	return "libmlx.so"
}

// at describes the MLX in dir, or says what it lacks.
func at(dir, origin string) (*install, error) {
	for _, f := range []string{filepath.Join("include", "mlx", "mlx.h"), filepath.Join("lib", libName())} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("%s: no %s in %s", origin, f, dir)
		}
	}
	return &install{origin: origin, dir: dir,
		version: shim.HeaderVersion(filepath.Join(dir, "include", "mlx", "version.h"), "MLX_VERSION")}, nil
}

// findMLX looks for MLX in order: the folder named by SILICA_MLX, the mlx
// package of each Python of Pythons (SILICA_MLX_PYTHON, SILICA_PYTHON,
// python3; the headers and libmlx come in its backend wheel), then the
// prefixes (Homebrew, /usr/local, /usr). Nothing found is an error
// wrapping engine.ErrUnavailable that says what to install.
func findMLX(getenv func(string) string, prefixes []string) (*install, error) {
	var tried []string
	if dir := getenv(EnvMLX); dir != "" {
		in, err := at(dir, EnvMLX+"="+dir)
		if err == nil {
			return in, nil
		}
		tried = append(tried, err.Error())
	}
	for _, py := range shim.Pythons(getenv, EnvPython, "SILICA_PYTHON") {
		lines, err := shim.Python(py, "import importlib.util as u\n"+
			"s = u.find_spec('mlx')\nprint(list(s.submodule_search_locations)[0] if s else '')")
		switch {
		case err != nil:
			tried = append(tried, fmt.Sprintf("%s: %v", py, err))
			continue
		case len(lines) == 0 || lines[0] == "":
			tried = append(tried, py+": no mlx package")
			continue
		}
		in, err := at(lines[0], "the mlx package of "+py)
		if err == nil {
			return in, nil
		}
		tried = append(tried, err.Error()+" (the mlx wheel alone has no library: install its backend, mlx[cpu] or mlx-metal)")
	}
	for _, p := range prefixes {
		if in, err := at(p, p); err == nil {
			return in, nil
		}
	}
	tried = append(tried, strings.Join(prefixes, ", ")+": no MLX")
	return nil, fmt.Errorf("%w: no MLX found (tried %s); pip install 'mlx[cpu]' (Linux) or mlx-metal (macOS) "+
		"into the Python named by %s or SILICA_PYTHON (else python3), brew install mlx, or set %s to an MLX folder",
		engine.ErrUnavailable, strings.Join(tried, "; "), EnvPython, EnvMLX)
}

// spec returns the build of the shim against in: MLX's C++ API is C++20.
func (in *install) spec() *shim.Spec {
	lib := filepath.Join(in.dir, "lib")
	return &shim.Spec{
		Name: "mlx", Source: mlxSource, Std: "c++20",
		Flags:     []string{"-I" + filepath.Join(in.dir, "include")},
		LinkFlags: []string{"-L" + lib, "-Wl,-rpath," + lib, "-lmlx"},
		Identity:  in.version + "|" + shim.FileStamp(filepath.Join(lib, libName())),
	}
}
