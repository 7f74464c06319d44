package kernels

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed metal/*.metal metal/silica.h metal/fused.tmpl
var metalFS embed.FS

// HeaderName is the file name of the shared MSL header that every family
// source includes.
const HeaderName = "silica.h"

// Header returns the text of metal/silica.h: types, params structs,
// conversions and the selection helpers the kernels share.
func Header() string { return mustRead("metal/" + HeaderName) }

func mustRead(name string) string {
	b, err := metalFS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

// Families returns the op families, the names of the .metal files.
func Families() []string {
	ents, err := metalFS.ReadDir("metal")
	if err != nil {
		panic(err)
	}
	var fs []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".metal"); ok {
			fs = append(fs, n)
		}
	}
	sort.Strings(fs)
	return fs
}

// FamilySource returns metal/<family>.metal as written, with its
// `#include "silica.h"` line (compile it with Header available under
// HeaderName, as package msltest does).
func FamilySource(family string) (string, error) {
	b, err := metalFS.ReadFile("metal/" + family + ".metal")
	if err != nil {
		return "", fmt.Errorf("kernels: no family %q (families: %s)", family, strings.Join(Families(), ", "))
	}
	return string(b), nil
}

var includeRE = regexp.MustCompile(`(?m)^#include "silica.h"\s*$`)

// LibrarySource returns a family's source with the header inlined: one
// self-contained string for newLibraryWithSource, which resolves no
// includes. Compile it with fast math off (MTLCompileOptions mathMode
// safe, or fastMathEnabled NO): the kernels rely on IEEE NaN and
// infinity semantics.
func LibrarySource(family string) (string, error) {
	src, err := FamilySource(family)
	if err != nil {
		return "", err
	}
	return includeRE.ReplaceAllLiteralString(src, Header()), nil
}

// InlineHeader replaces src's `#include "silica.h"` line by the header's
// text: a generated kernel's source, made self-contained as
// LibrarySource makes a family's.
func InlineHeader(src string) string {
	return includeRE.ReplaceAllLiteralString(src, Header())
}

// FusedTemplate returns metal/fused.tmpl, the text/template of a
// generated element-wise kernel: the body of an engine.Program
// (Program.Source) is spliced into silica::fused_body.
func FusedTemplate() string { return mustRead("metal/fused.tmpl") }
