package store

import "github.com/silica-go/silica/internal/par"

// splitMin is the fewest values a goroutine of splitRows takes: below it
// (about 50 µs of checking or copying) one goroutine does all.
const splitMin = 1 << 16

// splitRows calls f(lo, hi) over consecutive ranges covering rows 0 to
// n-1 (rows of d values), on as many goroutines as the machine has cores
// and the work is worth (one for small batches, in the caller's), and
// returns when every call has returned.
func splitRows(n, d int, f func(lo, hi int)) {
	par.Split(n, max(1, splitMin/max(d, 1)), f)
}
