package shim

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"strings"
)

// Pythons returns the Python interpreters to ask for a package, in order:
// the value of each environment variable in envs that is set (looked up
// with getenv), then python3 on PATH; without repeats.
func Pythons(getenv func(string) string, envs ...string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, e := range envs {
		add(getenv(e))
	}
	if p, err := exec.LookPath("python3"); err == nil {
		add(p)
	}
	return out
}

// Python runs code with the interpreter py and returns its output lines.
// A failure is the last line Python wrote to standard error (for a
// missing package: "ModuleNotFoundError: No module named 'torch'"), or
// why py did not run; it does not repeat py, which the caller names.
func Python(py, code string) ([]string, error) {
	cmd := exec.Command(py, "-c", code)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if last := lines[len(lines)-1]; last != "" {
			return nil, errors.New(last)
		}
		return nil, err
	}
	return strings.Split(strings.TrimSpace(stdout.String()), "\n"), nil
}

// UsesCXX11ABI reports whether the ELF shared library at path was built
// with libstdc++'s C++11 ABI (its symbols name std::__cxx11), so that a
// shim compiled against it must define _GLIBCXX_USE_CXX11_ABI=1.
func UsesCXX11ABI(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		return false, err
	}
	for _, s := range syms {
		if strings.Contains(s.Name, "__cxx11") {
			return true, nil
		}
	}
	return false, nil
}

// HeaderVersion reads "major.minor.patch" from the #define lines
// <prefix>_MAJOR, <prefix>_MINOR and <prefix>_PATCH of a C header, such
// as torch/version.h (TORCH_VERSION) or mlx/version.h (MLX_VERSION); ""
// if the file or a macro is missing.
func HeaderVersion(path, prefix string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	parts := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "#define" && strings.HasPrefix(f[1], prefix+"_") {
			parts[strings.TrimPrefix(f[1], prefix+"_")] = f[2]
		}
	}
	if parts["MAJOR"] == "" || parts["MINOR"] == "" || parts["PATCH"] == "" {
		return ""
	}
	return parts["MAJOR"] + "." + parts["MINOR"] + "." + parts["PATCH"]
}
