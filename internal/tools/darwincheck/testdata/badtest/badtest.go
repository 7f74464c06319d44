// Package badtest is correct; its darwin-only test file holds a planted
// type error, found only when darwincheck checks tests (-test).
package badtest

// Twice returns 2n.
func Twice(n int) int { return 2 * n }
