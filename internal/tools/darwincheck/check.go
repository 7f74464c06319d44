package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"sort"
)

// Problem is one error found while loading or type-checking a package.
type Problem struct {
	Package string // import path
	Pos     string // file:line:column, or "" when the error has no position
	Msg     string
}

func (p Problem) String() string {
	if p.Pos == "" {
		return p.Package + ": " + p.Msg
	}
	return p.Pos + ": " + p.Msg
}

// Result is what Check found.
type Result struct {
	Packages int       // packages type-checked (the whole dependency closure)
	Targets  []string  // import paths of the packages the patterns matched
	Problems []Problem // sorted by position
}

// Check loads the packages matching patterns (go list patterns, resolved
// in dir) and their whole dependency closure, the standard library
// included, for GOOS=darwin GOARCH=arm64 with cgo, parses them and
// type-checks them from source with go/types, in dependency order. Files
// that import "C" are checked with FakeImportC: every C.name is accepted
// and its type left unknown, so that expressions built on it are not
// checked, while all the Go around it is.
//
// With tests, the packages' _test.go files are checked too (the test
// variants of go list -test), except the generated test main.
//
// In the matched packages (not their dependencies), a cgo file whose
// preamble includes no header has each C.name checked against the
// declarations of its preamble (see checkPreamble).
//
// Problems lists every load error (a missing package, a build-constraint
// mistake), syntax error and type error in any package of the closure,
// each once. The error is non-nil only when the packages could not be
// listed at all.
func Check(dir string, patterns []string, tests bool) (*Result, error) {
	pkgs, err := listPackages(dir, patterns, tests)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	checked := map[string]*types.Package{"unsafe": types.Unsafe}
	res := &Result{}
	seen := map[Problem]bool{}
	sizes := types.SizesFor("gc", "arm64")
	for _, lp := range pkgs {
		if !lp.DepOnly && lp.ForTest == "" && !lp.isTestMain() {
			res.Targets = append(res.Targets, lp.ImportPath)
		}
		if lp.ImportPath == "unsafe" || lp.isTestMain() {
			continue
		}
		report := func(pos, msg string) {
			p := Problem{Package: lp.ImportPath, Pos: pos, Msg: msg}
			if lp.ForTest != "" {
				p.Package = lp.ForTest // a test variant: the same files, and more
			}
			if !seen[p] {
				seen[p] = true
				res.Problems = append(res.Problems, p)
			}
		}
		if lp.Error != nil {
			report(lp.Error.Pos, lp.Error.Err)
		}
		var files []*ast.File
		for i, name := range lp.files() {
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				report("", err.Error())
			}
			if f == nil {
				continue
			}
			files = append(files, f)
			if !lp.DepOnly && i >= len(lp.GoFiles) {
				checkPreamble(fset, f, report)
			}
		}
		conf := types.Config{
			GoVersion:   lp.goVersion(),
			FakeImportC: true,
			Sizes:       sizes,
			Importer:    importer{pkg: lp, checked: checked},
			Error: func(err error) {
				if te, ok := err.(types.Error); ok {
					if te.Soft && isUnusedCImport(te) {
						return
					}
					report(te.Fset.Position(te.Pos).String(), te.Msg)
					return
				}
				report("", err.Error())
			},
		}
		tp, _ := conf.Check(lp.ImportPath, fset, files, nil)
		checked[lp.ImportPath] = tp
		res.Packages++
	}
	sort.SliceStable(res.Problems, func(i, j int) bool {
		a, b := res.Problems[i], res.Problems[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return a.Pos < b.Pos
	})
	return res, nil
}

// isUnusedCImport reports a `"C" imported and not used`: a file whose only
// cgo use is its preamble (//export, #cgo directives) is valid cgo.
func isUnusedCImport(te types.Error) bool {
	return te.Msg == `"C" imported and not used`
}

// importer resolves the imports of one package to packages already
// checked, through the package's ImportMap (vendored standard-library
// packages).
type importer struct {
	pkg     *listedPackage
	checked map[string]*types.Package
}

func (im importer) Import(path string) (*types.Package, error) {
	if p, ok := im.pkg.ImportMap[path]; ok {
		path = p
	}
	if tp, ok := im.checked[path]; ok && tp != nil {
		return tp, nil
	}
	return nil, fmt.Errorf("package %s (imported by %s) was not loaded", path, im.pkg.ImportPath)
}
