package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// machineInfo describes the host the run is on.
func machineInfo(args []string) Machine {
	return Machine{
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPU: cpuModel(), Cores: runtime.NumCPU(),
		MemoryBytes: memoryTotal(), Go: runtime.Version(), Silica: silicaVersion(),
		Time: time.Now().UTC().Format(time.RFC3339), Load: loadAverage(),
		Command: strings.Join(append([]string{"embench"}, args...), " "),
	}
}

// cpuModel reads the processor's name: /proc/cpuinfo on Linux, sysctl on
// macOS; "unknown" elsewhere.
func cpuModel() string {
	switch runtime.GOOS {
	case "linux":
		if v := procField("/proc/cpuinfo", "model name"); v != "" {
			return v
		}
	case "darwin":
		if out, err := exec.Command("sysctl", "-n", "machdep.cpu.brand_string").Output(); err == nil {
			return strings.TrimSpace(string(out))
		}
	}
	return "unknown"
}

// loadAverage returns the 1-minute load average when the run starts
// (Linux /proc/loadavg, macOS sysctl vm.loadavg), -1 if unknown: above
// the core count, other programs compete with the benchmark.
func loadAverage() float64 {
	text := readFile("/proc/loadavg")
	if text == "" && runtime.GOOS == "darwin" {
		if out, err := exec.Command("sysctl", "-n", "vm.loadavg").Output(); err == nil {
			text = strings.Trim(strings.TrimSpace(string(out)), "{ }")
		}
	}
	if f := strings.Fields(text); len(f) > 0 {
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			return v
		}
	}
	return -1
}

// memoryTotal returns the host's memory in bytes, 0 if unknown.
func memoryTotal() int64 {
	switch runtime.GOOS {
	case "linux":
		f := strings.Fields(procField("/proc/meminfo", "MemTotal"))
		if len(f) > 0 {
			kb, _ := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024
		}
	case "darwin":
		if out, err := exec.Command("sysctl", "-n", "hw.memsize").Output(); err == nil {
			n, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
			return n
		}
	}
	return 0
}

// procField returns the value of the first "name : value" line of a
// /proc file.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// silicaVersion names the code embench was built from, from the build
// information of the binary (never from whatever git repository encloses
// the working directory, which need not be the one built).
func silicaVersion() string {
	bi, _ := debug.ReadBuildInfo()
	return buildLabel(bi)
}

// unstamped is the label of a build that records neither a module version
// nor a VCS revision: go run, go test, and go build -buildvcs=false stamp
// none.
const unstamped = "devel (revision not recorded: go build, or go run -buildvcs=true, records it)"

// buildLabel names a build from its information: the VCS revision (12
// hex digits, "-dirty" when the tree had changes), else the module's
// version (go install module@version), else unstamped.
func buildLabel(bi *debug.BuildInfo) string {
	if bi == nil {
		return unstamped
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "-dirty"
		}
		return rev
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	return unstamped
}

// processResident returns the process's resident memory in bytes: the
// current figure on Linux, the peak elsewhere (getrusage), -1 if unknown.
func processResident() int64 {
	if f := strings.Fields(readFile("/proc/self/statm")); len(f) > 1 {
		pages, err := strconv.ParseInt(f[1], 10, 64)
		if err == nil {
			return pages * int64(os.Getpagesize())
		}
	}
	return peakResident()
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
