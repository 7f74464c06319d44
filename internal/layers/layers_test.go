package layers

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

const module = "github.com/silica-go/silica"

// backends are the packages that implement or register engine backends.
var backends = []string{"cpu", "cuda", "metal", "torchcompat", "mlxcompat", "internal/shim", "backends"}

// rule: no package matching from imports, directly or not, a package
// matching any of to. A pattern is a path in the module; "x/..." matches x
// and the packages under it.
type rule struct {
	why      string
	from, to []string
}

var rules = []rule{
	{"the engine imports no backend", []string{"engine/..."}, backends},
	{"the store imports no backend", []string{"store/..."}, backends},
	{"kernels/ holds kernel sources and their harnesses: a backend is reached by name (engine.Open)", []string{"kernels/..."}, backends},
	{"a command imports no example", []string{"cmd/..."}, []string{"examples/..."}},
}

// match reports whether the module path p (relative to the module) matches
// pattern.
func match(pattern, p string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == base || strings.HasPrefix(p, base+"/")
	}
	return p == pattern
}

func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if match(pat, p) {
			return true
		}
	}
	return false
}

// pkg is one package as go list describes it, paths relative to the module.
type pkg struct {
	imports []string // direct imports in the module
	deps    []string // every import in the module, direct or not
}

// list runs go list over the module in the given environment.
func list(t *testing.T, goBin string, env []string) map[string]*pkg {
	t.Helper()
	cmd := exec.Command(goBin, "list", "-e", "-f",
		`{{.ImportPath}}|{{join .Imports " "}}|{{join .Deps " "}}`, module+"/...")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list %v: %v %s", env, err, msg)
	}
	local := func(s string) []string {
		var r []string
		for _, p := range strings.Fields(s) {
			if rel, ok := strings.CutPrefix(p, module+"/"); ok {
				r = append(r, rel)
			}
		}
		return r
	}
	pkgs := map[string]*pkg{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("go list line %q", line)
		}
		path, _ := strings.CutPrefix(f[0], module+"/")
		pkgs[path] = &pkg{imports: local(f[1]), deps: local(f[2])}
	}
	return pkgs
}

// chain returns a shortest import path from one package to another, for
// the message: a -> b -> c.
func chain(pkgs map[string]*pkg, from, to string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return strings.Join(path, " -> ")
		}
		if pk := pkgs[p]; pk != nil {
			for _, q := range pk.imports {
				if _, seen := prev[q]; !seen {
					prev[q] = p
					queue = append(queue, q)
				}
			}
		}
	}
	return from + " -> ... -> " + to
}

// violations returns every import that breaks a rule, one line each.
func violations(pkgs map[string]*pkg, rules []rule) []string {
	var bad []string
	for path, p := range pkgs {
		for _, r := range rules {
			if !matchAny(r.from, path) {
				continue
			}
			for _, d := range p.deps {
				if matchAny(r.to, d) {
					bad = append(bad, fmt.Sprintf("%s (%s)", chain(pkgs, path, d), r.why))
				}
			}
		}
	}
	sort.Strings(bad)
	return bad
}

// TestImportRules checks the rules of the package doc on the module as
// go list sees it, on linux and on darwin with cgo.
func TestImportRules(t *testing.T) {
	goBin, err := exec.LookPath("go")
	testenv.Need(t, "go", err)
	for _, env := range [][]string{{"GOOS=linux", "CGO_ENABLED=0"}, {"GOOS=darwin", "GOARCH=arm64", "CGO_ENABLED=1"}} {
		pkgs := list(t, goBin, env)
		for _, must := range []string{"engine", "store", "kernels/kerneltest", "cmd/embench", "cuda"} {
			if pkgs[must] == nil {
				t.Fatalf("%v: go list did not list %s; is the module pattern right?", env, must)
			}
		}
		for _, v := range violations(pkgs, rules) {
			t.Errorf("%v: %s", env, v)
		}
	}
}

// TestViolationsFound: the check finds a planted import, direct or not,
// and names the chain.
func TestViolationsFound(t *testing.T) {
	pkgs := map[string]*pkg{
		"kernels/kerneltest": {imports: []string{"engine/backendtest"}, deps: []string{"engine", "engine/backendtest", "cuda"}},
		"engine/backendtest": {imports: []string{"engine", "cuda"}, deps: []string{"engine", "cuda"}},
		"engine":             {},
		"cuda":               {imports: []string{"engine"}, deps: []string{"engine"}},
		"cmd/tool":           {imports: []string{"examples/demo"}, deps: []string{"examples/demo"}},
		"examples/demo":      {imports: []string{"cpu"}, deps: []string{"cpu"}},
		"cpu":                {},
	}
	got := strings.Join(violations(pkgs, rules), "\n")
	for _, want := range []string{
		"engine/backendtest -> cuda (the engine imports no backend)",
		"kernels/kerneltest -> engine/backendtest -> cuda (kernels/",
		"cmd/tool -> examples/demo (a command imports no example)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("violations:\n%s\nwant a line with %q", got, want)
		}
	}
	if strings.Contains(got, "examples/demo -> cpu") {
		t.Errorf("violations:\n%s\nan example may import a backend", got)
	}
}
