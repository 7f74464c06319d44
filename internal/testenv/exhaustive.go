package testenv

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// Exhaustive reports whether the tests run their exhaustive sweeps
// (SILICA_EXHAUSTIVE=1): every CUDA kernel variant compiled, every tiling
// of the tensor-core scan in the CPU emulator, every case of the Metal
// kernels' sweeps in the harness, every size of the arm64 kernel tests
// under qemu. Without it each sweep runs a representative subset (see
// Sample), so that `go test ./...` stays within minutes; .ci/run runs the
// sweeps in a step of their own.
func Exhaustive() bool { return os.Getenv("SILICA_EXHAUSTIVE") == "1" }

// Sample returns the indices, in increasing order, of the items of a
// sweep of n that a test runs: all of them when Exhaustive; otherwise
// every index in keep (the defaults, which users run) and extra others
// drawn at random. The draw's seed is SILICA_SWEEP_SEED when it is set,
// else the clock's, so that successive runs cover different items; the
// test logs it, so a failure names the seed that repeats it.
func Sample(t testing.TB, n int, keep []int, extra int) []int {
	t.Helper()
	if Exhaustive() {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SILICA_SWEEP_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SILICA_SWEEP_SEED=%q: want an unsigned integer", s)
		}
		seed = v
	}
	chosen := make([]bool, n)
	for _, i := range keep {
		chosen[i] = true
	}
	var rest []int
	for i, c := range chosen {
		if !c {
			rest = append(rest, i)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	rng.Shuffle(len(rest), func(a, b int) { rest[a], rest[b] = rest[b], rest[a] })
	for _, i := range rest[:min(extra, len(rest))] {
		chosen[i] = true
	}
	var out []int
	for i, c := range chosen {
		if c {
			out = append(out, i)
		}
	}
	t.Logf("sweep: %d of %d items, drawn with SILICA_SWEEP_SEED=%d (SILICA_EXHAUSTIVE=1 runs all)", len(out), n, seed)
	return out
}
