// Command darwincheck type-checks Go packages as they are built for Apple
// Silicon (GOOS=darwin GOARCH=arm64, cgo enabled), on any machine. Silica's
// Metal backend (package metal) is darwin-only cgo code over
// github.com/progrium/darwinkit; no Linux build ever compiles it, so
// without this tool a wrong argument type to a darwinkit method would only
// show on a Mac.
//
//	go run ./internal/tools/darwincheck ./...
//	go run ./internal/tools/darwincheck -v -test ./metal/...
//
// With -test the packages' _test.go files are checked too.
//
// Exit status: 0 when every package of the closure type-checks, 1 when any
// error was found (each printed as file:line:column: message), 2 when the
// packages cannot be listed.
//
// # How
//
// `go list -e -json -deps` with GOOS=darwin GOARCH=arm64 CGO_ENABLED=1
// names the files the darwin build compiles, for the named packages and
// their whole dependency closure (the standard library and darwinkit
// included). Each package is parsed with go/parser and type-checked from
// source with go/types, in dependency order, with an importer that hands
// out the packages already checked (through go list's ImportMap for the
// standard library's vendored packages), sizes of the gc arm64 target and
// the language version of the package's module.
//
// # What is and is not checked
//
// Files that import "C" are checked with go/types' FakeImportC: every
// C.name is accepted and typed as unknown, so an expression built on a C
// value is not checked, while every other line of Go is, including all
// calls into darwinkit, whose own cgo packages are loaded the same way.
// In the named packages, a cgo file whose preamble includes no header
// (it declares the C functions it calls itself) has every C.name checked
// against those declarations, so a misspelt C call is caught too. The C
// and Objective-C code itself (preamble bodies, .m files) is not
// compiled: only a Mac with Xcode's command-line tools does that (the
// workflow .github/workflows/macos.yml). The message `"C" imported and not
// used` is ignored, as cgo accepts a file whose only use of C is its
// preamble.
//
// The tool's tests show it fails on a type error planted in a darwin-only
// file (testdata/bad) that a Linux build never compiles, on one in a
// darwin-only test file with -test (testdata/badtest), on a C name its
// preamble does not declare (testdata/cname), and that the Metal backend
// passes.
package main
