package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// target is the platform the packages are loaded for. Apple Silicon is the
// only darwin target Silica's Metal backend supports.
var target = []string{"GOOS=darwin", "GOARCH=arm64", "CGO_ENABLED=1"}

// listedPackage is the part of `go list -json` output darwincheck reads.
type listedPackage struct {
	Dir        string
	ImportPath string
	ForTest    string // the package under test, for test variants (go list -test)
	Name       string
	Standard   bool
	DepOnly    bool
	GoFiles    []string
	CgoFiles   []string
	Imports    []string
	ImportMap  map[string]string
	Module     *struct {
		Path      string
		GoVersion string
	}
	Error *struct {
		Pos string
		Err string
	}
	DepsErrors []*struct {
		Pos string
		Err string
	}
}

// goVersion returns the language version the package is written in, in
// go/types' form ("go1.18"), or "" to accept the toolchain's.
func (p *listedPackage) goVersion() string {
	if p.Module != nil && p.Module.GoVersion != "" {
		return "go" + p.Module.GoVersion
	}
	return ""
}

// files returns the absolute paths of the Go files the darwin build
// compiles: plain files and files that import "C".
func (p *listedPackage) files() []string {
	var out []string
	for _, list := range [][]string{p.GoFiles, p.CgoFiles} {
		for _, f := range list {
			out = append(out, filepath.Join(p.Dir, f))
		}
	}
	return out
}

// isTestMain reports whether p is the test main package that go list
// -test generates (its source lives in the build cache).
func (p *listedPackage) isTestMain() bool {
	return p.Name == "main" && strings.HasSuffix(p.ImportPath, ".test")
}

// listPackages runs `go list -e -json -deps` in dir for the patterns, for
// the darwin/arm64 target with cgo, and returns the packages in dependency
// order (every package after the packages it imports). With tests, the
// packages' test variants and external test packages are listed too
// (go list -test).
func listPackages(dir string, patterns []string, tests bool) ([]*listedPackage, error) {
	args := []string{"list", "-e", "-json", "-deps"}
	if tests {
		args = append(args, "-test")
	}
	args = append(append(args, "--"), patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), target...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %v for %v: %v\n%s", patterns, target, err, stderr.Bytes())
	}
	var pkgs []*listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listedPackage)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("go list %v matched no packages", patterns)
	}
	return pkgs, nil
}
