// Package backendtest is the one test suite every Silica backend runs:
//
//	func TestBackend(t *testing.T) { backendtest.Run(t, "mybackend", b) }
//
// Run drives every engine op through an engine on the backend and compares
// each result with a float64 reference computed here, independently of
// any backend, on fresh random inputs at awkward sizes: one row, one
// element, sizes that are multiples of no tile, k = 1, k = n, k > n
// (clamped), long rows, ranks up to engine.MaxRank, every float dtype.
//
// # Compat peers
//
// Each case names the primitive ops it is about. A backend that runs only
// some primitive ops says which (engine.OpSubset: the compat peers over
// libtorch and MLX, whose shims list the ops they implement); a case about
// an op it lacks is skipped through testenv.SkipBecause, with a log line
// naming the backend and the op, and counted in the package's skip line.
// An op a peer lists but does not run fails its case. Silica's own
// backends do not implement OpSubset and run every case.
//
// # Poison
//
// The backend is wrapped so that every buffer it allocates for the
// engine is filled with 0xFF bytes (NaN for floats, -1 for integers)
// before a kernel runs: an element a kernel forgets to write fails the
// comparison. A plan runs as one submission, and a later step may write a
// buffer slot an earlier step used, so the wrapper cannot reach a step's
// outputs; the test backends poison those themselves before every step
// (with Poison: the CPU backend's test hook, the Metal harness device), and the
// ReusedSlot case builds a plan where an element left unwritten would
// otherwise hold the right answer from an earlier step.
//
// # Tolerances
//
// Errors are measured as ||out - ref|| / ||ref|| over a whole result.
// Float32 results must be within TolFloat32; results stored as float16
// within TolFloat16, as bfloat16 within TolBFloat16. References for 16-bit
// inputs are computed from the inputs rounded to that type, so the
// tolerance covers the arithmetic, not the storage. Sums are checked
// element by element instead: each within SumTol·√n·Σ|term| of the exact
// sum of its n terms, plus the rounding of the result to float32.
//
// # Top-k
//
// A top-k result is accepted as FAISS's tests accept one: the values equal
// the reference's k best values within tolerance, each index's reference
// score equals the value reported for it, and no index repeats; so ties
// and near-ties may come in either order. Where scores tie exactly
// (duplicated rows), the smaller index must come first, as the engine
// specifies. NaN must never rank ahead of a number.
package backendtest
