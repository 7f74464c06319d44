package main

import (
	"go/ast"
	"go/token"
	"regexp"
	"strconv"
)

// FakeImportC accepts every C.name. For a cgo file whose preamble includes
// no header (it only declares the C functions it calls, as the Metal
// backend's does), every name can be checked against the preamble:
// checkPreamble reports a C.name that the preamble does not declare and
// that is not one of cgo's own names, so that a misspelt C call fails
// here rather than in the Mac's linker.

// cgoNames are the names cgo itself provides under C: its conversion
// functions and the C numeric types.
var cgoNames = map[string]bool{
	"CString": true, "CBytes": true, "GoString": true, "GoStringN": true, "GoBytes": true,
	"char": true, "schar": true, "uchar": true, "short": true, "ushort": true, "int": true,
	"uint": true, "long": true, "ulong": true, "longlong": true, "ulonglong": true,
	"float": true, "double": true, "complexfloat": true, "complexdouble": true,
	"size_t": true, "uintptr_t": true, "intptr_t": true, "int8_t": true, "int16_t": true,
	"int32_t": true, "int64_t": true, "uint8_t": true, "uint16_t": true, "uint32_t": true,
	"uint64_t": true,
}

var (
	includeRE = regexp.MustCompile(`(?m)^\s*#\s*(include|import)\b`)
	declRE    = regexp.MustCompile(`\b([A-Za-z_]\w*)\s*(?:\(|;|\[|=)`)
)

// checkPreamble reports, through report, each C.name of f that its
// preamble does not declare, when the preamble includes no header.
func checkPreamble(fset *token.FileSet, f *ast.File, report func(pos, msg string)) {
	var preamble string
	found := false
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "C" {
			found = true
			if imp.Doc != nil {
				preamble = imp.Doc.Text()
			}
			if g := importGroupDoc(f, imp); g != nil && preamble == "" {
				preamble = g.Text()
			}
		}
	}
	if !found || includeRE.MatchString(preamble) {
		return
	}
	declared := map[string]bool{}
	for _, m := range declRE.FindAllStringSubmatch(preamble, -1) {
		declared[m[1]] = true
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); ok && x.Name == "C" {
			name := sel.Sel.Name
			if !declared[name] && !cgoNames[name] {
				report(fset.Position(sel.Pos()).String(), "C."+name+" is not declared in the cgo preamble (which includes no header)")
			}
		}
		return true
	})
}

// importGroupDoc returns the doc comment of the declaration holding imp
// (cgo reads the preamble there for `import "C"` written alone).
func importGroupDoc(f *ast.File, imp *ast.ImportSpec) *ast.CommentGroup {
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		for _, s := range g.Specs {
			if s == imp && len(g.Specs) == 1 {
				return g.Doc
			}
		}
	}
	return nil
}
