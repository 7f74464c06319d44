package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/silica-go/silica/engine"
)

// scanRun is one setting of the tensor-core scan: cuda.Config's Scan
// ("" for the device's default) and Tiling.
type scanRun struct {
	version, tiling string
}

func (s scanRun) String() string {
	v := s.version
	if v == "" {
		v = "default"
	}
	if s.tiling != "" {
		return v + " " + s.tiling
	}
	return v
}

// suffix tells rows of one search apart: none for the default scan.
func (s scanRun) suffix() string {
	if s.version == "" {
		return ""
	}
	return " [" + s.String() + "]"
}

// scanVersions reads -scan: a comma-separated list of default, v4 and v5,
// or both (default,v4) or all (default,v4,v5). The default is "".
func scanVersions(flag string) (map[string]bool, error) {
	switch flag {
	case "both":
		flag = "default,v4"
	case "all":
		flag = "default,v4,v5"
	}
	out := map[string]bool{}
	for _, v := range strings.Split(flag, ",") {
		switch v = strings.TrimSpace(v); v {
		case "default":
			out[""] = true
		case "v4", "v5":
			out[v] = true
		default:
			return nil, fmt.Errorf("-scan %q: want a list of default, v4 and v5, or both or all", flag)
		}
	}
	return out, nil
}

// scanRuns lists the settings to time: the versions asked for, each
// with its other tilings (sweeps, ;-separated, by version) when the
// search runs on tensor cores.
func scanRuns(which map[string]bool, tensor bool, sweeps map[string]string) []scanRun {
	var out []scanRun
	if which[""] || !tensor {
		out = append(out, scanRun{})
	}
	if !tensor {
		return out
	}
	for _, v := range []string{"v4", "v5"} {
		if !which[v] {
			continue
		}
		out = append(out, scanRun{version: v})
		for _, t := range strings.Split(sweeps[v], ";") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, scanRun{version: v, tiling: t})
			}
		}
	}
	return out
}

// searchIDs evaluates a search once and returns its ids, [queries][k].
func searchIDs(build func() ([]*engine.Array, error)) ([]int64, error) {
	outs, err := build()
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, o := range outs {
			o.Free()
		}
	}()
	return outs[1].Int64()
}

// sameSets counts the queries (rows of k ids) whose sets of ids agree.
func sameSets(a, b []int64, k int) int {
	same := 0
	for q := 0; q+k <= len(a) && q+k <= len(b); q += k {
		x := append([]int64(nil), a[q:q+k]...)
		y := append([]int64(nil), b[q:q+k]...)
		sort.Slice(x, func(i, j int) bool { return x[i] < x[j] })
		sort.Slice(y, func(i, j int) bool { return y[i] < y[j] })
		eq := true
		for i := range x {
			eq = eq && x[i] == y[i]
		}
		if eq {
			same++
		}
	}
	return same
}

// printScanTable prints the search rows side by side: the default scan,
// v4 with its default tiling, v4's fastest tiling, torch.
func printScanTable(rows []row) {
	type line struct {
		v3, v4, best, torch float64
		bestName, check     string
	}
	byOp := map[string]*line{}
	var order []string
	for _, r := range rows {
		if !strings.HasPrefix(r.Op, "top-100") {
			continue
		}
		base, tag, _ := strings.Cut(r.Op, " [")
		l := byOp[base]
		if l == nil {
			l = &line{}
			byOp[base] = l
			order = append(order, base)
		}
		l.torch = r.TorchMs
		switch {
		case tag == "":
			l.v3 = r.Ms
		case tag == "v4]":
			l.v4, l.check = r.Ms, r.Note
		}
		if tag != "" && (l.best == 0 || r.Ms < l.best) {
			l.best, l.bestName = r.Ms, strings.TrimSuffix(tag, "]")
		}
	}
	if len(order) == 0 {
		return
	}
	fmt.Println()
	fmt.Println("| search | default (ms) | v4 (ms) | v4 best tiling (ms) | torch (ms) | torch / best | v4 check |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, op := range order {
		l := byOp[op]
		best := l.v3
		if l.best > 0 && l.best < best {
			best = l.best
		}
		ratio := "-"
		if l.torch > 0 && best > 0 {
			ratio = fmt.Sprintf("%.2fx", l.torch/best)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", op, ms(l.v3), ms(l.v4),
			ms(l.best)+" "+l.bestName, ms(l.torch), ratio, l.check)
	}
}

func ms(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}
