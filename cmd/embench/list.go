package main

import (
	"fmt"
	"io"
	"slices"
)

// list prints what can run here and why the rest cannot (--list).
func list(w io.Writer, c *config) {
	open, missing := openBackends(c.Backend)
	defer closeBackends(open)
	fmt.Fprintln(w, "Engine backends:")
	for _, b := range open {
		fmt.Fprintf(w, "  %-12s available: %s (%s)\n", b.name, b.info.Name, b.info.Version)
	}
	for _, m := range missing {
		fmt.Fprintf(w, "  %-12s unavailable: %s\n", m.Name, oneLine(m.Reason))
	}
	py, err := findPython(c.TorchDevice)
	if err != nil {
		fmt.Fprintf(w, "Python peers: unavailable: %v\n", err)
		return
	}
	defer py.close()
	fmt.Fprintf(w, "Python peers (%s, Python %s):\n", py.path, py.version)
	for _, p := range knownPeers {
		switch {
		case c.Peers != nil && !slices.Contains(c.Peers, p):
			fmt.Fprintf(w, "  %-12s not selected (-peers)\n", p)
		case py.mods[p] != "":
			fmt.Fprintf(w, "  %-12s available: %s %s\n", p, p, py.mods[p])
		default:
			fmt.Fprintf(w, "  %-12s unavailable: %s\n", p, oneLine(py.why[p]))
		}
	}
}
