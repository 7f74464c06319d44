// Package errtext checks the shape of the error messages Silica shows its
// users, for tests: one line, each fact once, the action to take last.
package errtext

import (
	"fmt"
	"regexp"
	"strings"
)

// MaxLen is the longest message Check accepts.
const MaxLen = 480

var (
	// prefix matches a one-word prefix such as "engine: " or "store: ",
	// or a verb and its quoted object such as `open "cuda": `, at the
	// start of the message or after a space or parenthesis (Check looks
	// at the byte before); its word is the first group.
	prefix = regexp.MustCompile(`([a-z][a-z0-9_]*)(?: "[^"]*")?: `)
	// path matches an absolute file path.
	path = regexp.MustCompile(`/[A-Za-z0-9_.+\-]+(?:/[A-Za-z0-9_.+\-*]+)+`)
)

// Check returns what is wrong with msg: more than one line, longer than
// MaxLen, a "<nil>", a one-word prefix ("store: ") or an absolute path
// written twice, or (action not "") not ending with action. It returns
// nil for a message of the right shape.
func Check(msg, action string) []string {
	var bad []string
	if strings.ContainsAny(msg, "\r\n") {
		bad = append(bad, "more than one line")
	}
	if len(msg) > MaxLen {
		bad = append(bad, fmt.Sprintf("%d characters (at most %d)", len(msg), MaxLen))
	}
	if strings.Contains(msg, "<nil>") {
		bad = append(bad, `holds "<nil>"`)
	}
	seen := map[string]bool{}
	for _, m := range prefix.FindAllStringSubmatchIndex(msg, -1) {
		if m[0] > 0 && !strings.ContainsRune(" \t(", rune(msg[m[0]-1])) {
			continue // the end of a longer word or a path
		}
		w := msg[m[2]:m[3]]
		if seen[w] {
			bad = append(bad, fmt.Sprintf("prefix %q twice", w+":"))
		}
		seen[w] = true
	}
	seenPath := map[string]bool{}
	for _, p := range path.FindAllString(msg, -1) {
		if seenPath[p] {
			bad = append(bad, fmt.Sprintf("path %s twice", p))
		}
		seenPath[p] = true
	}
	if action != "" && !strings.HasSuffix(msg, action) {
		bad = append(bad, fmt.Sprintf("does not end with the action %q", action))
	}
	return bad
}
