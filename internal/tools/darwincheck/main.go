package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the command: it checks the packages named by args in the current
// directory and returns the exit status (0 clean, 1 errors found, 2 the
// packages could not be listed or the flags are wrong).
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("darwincheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print the import paths of the matched packages")
	tests := fs.Bool("test", false, "check the packages' _test.go files too")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./internal/tools/darwincheck [-v] [-test] [packages]\n\n"+
			"Type-checks the packages and their whole dependency closure as built for\n"+
			"darwin/arm64 with cgo. Exit status 1 on any error, 2 if the packages\n"+
			"cannot be listed.\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	res, err := Check(".", patterns, *tests)
	if err != nil {
		fmt.Fprintln(stderr, "darwincheck:", err)
		return 2
	}
	if *verbose {
		for _, t := range res.Targets {
			fmt.Fprintln(stdout, t)
		}
	}
	for _, p := range res.Problems {
		fmt.Fprintln(stderr, p)
	}
	if len(res.Problems) > 0 {
		fmt.Fprintf(stderr, "darwincheck: %d errors (darwin/arm64, cgo, %d packages checked)\n", len(res.Problems), res.Packages)
		return 1
	}
	fmt.Fprintf(stdout, "darwincheck: %d packages type-check for darwin/arm64 with cgo (%d matched)\n", res.Packages, len(res.Targets))
	return 0
}
