package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestBuildLabel: the build is named by its own build information.
func TestBuildLabel(t *testing.T) {
	rev := "c5eecf89b598167375ca174ea67c00e7a2b0354d"
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/silica-go/silica", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, c := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{nil, unstamped},
		{info("(devel)"), unstamped},
		{info(""), unstamped},
		{info("v1.2.3"), "v1.2.3"},
		{info("(devel)", "vcs.revision", rev, "vcs.modified", "false"), "c5eecf89b598"},
		{info("v0.0.0-20261203073214-c5eecf89b598+dirty", "vcs.revision", rev, "vcs.modified", "true"), "c5eecf89b598-dirty"},
	} {
		if got := buildLabel(c.bi); got != c.want {
			t.Errorf("buildLabel(%+v) = %q, want %q", c.bi, got, c.want)
		}
	}
	// This test binary is the case at hand: its label is what its own
	// build information says, whatever repository the test runs in.
	bi, _ := debug.ReadBuildInfo()
	if got, want := silicaVersion(), buildLabel(bi); got != want {
		t.Errorf("silicaVersion() = %q, want %q, from the build information", got, want)
	}
}

// TestBuildLabelOfBinary builds embench with and without VCS stamping and
// runs it inside another git repository: the report names the revision
// the binary was built from, or says it is unknown; never the revision of
// the repository it runs in.
func TestBuildLabelOfBinary(t *testing.T) {
	t.Parallel()
	git := func(dir string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	head, err := git(".", "rev-parse", "HEAD")
	testenv.Need(t, "git and a git checkout of silica", err)
	status, err := git(".", "status", "--porcelain")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	other := filepath.Join(tmp, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "other"},
	} {
		if _, err := git(other, args...); err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
	}
	otherHead, err := git(other, "rev-parse", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	want := head[:12]
	if status != "" {
		want += "-dirty"
	}
	for _, c := range []struct{ vcs, want string }{{"false", unstamped}, {"true", want}} {
		bin := filepath.Join(tmp, "embench-vcs-"+c.vcs)
		build := exec.Command("go", "build", "-buildvcs="+c.vcs, "-o", bin, ".")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build -buildvcs=%s: %v\n%s", c.vcs, err, out)
		}
		if c.vcs == "true" {
			// go build finds git only where .git is a directory: a git
			// worktree's binary records no revision.
			out, err := exec.Command("go", "version", "-m", bin).Output()
			if err == nil && !strings.Contains(string(out), "vcs.revision=") {
				err = errors.New("go build -buildvcs=true recorded no revision (a git worktree, whose .git is a file?)")
			}
			testenv.Need(t, "a git checkout that go build stamps", err)
		}
		js := filepath.Join(tmp, "r.json")
		run := exec.Command(bin, "--quick", "--quiet", "--backend", "cpu", "--peers", "none", "--scenario", "fma", "--json", js)
		run.Dir = other
		if out, err := run.CombinedOutput(); err != nil {
			t.Fatalf("embench: %v\n%s", err, out)
		}
		raw, err := os.ReadFile(js)
		if err != nil {
			t.Fatal(err)
		}
		var rep Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatal(err)
		}
		if got := rep.Machine.Silica; got != c.want || strings.Contains(got, otherHead[:7]) {
			t.Errorf("built with -buildvcs=%s, run in another repository (HEAD %s): silica %q, want %q", c.vcs, otherHead[:12], got, c.want)
		}
	}
}
