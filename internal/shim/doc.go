// Package shim builds, loads and drives the small C++ libraries through
// which Silica's compat backends (packages torchcompat and mlxcompat) call
// libtorch and MLX, without cgo.
//
// # The ABI
//
// Every shim implements the C functions of csrc/silica_shim.h (Header):
// open a device, move bytes in and out, view bytes as a typed array, run
// one engine op (sil_op, with the engine's op and dtype numbers), and
// finish a plan (sil_eval). Handles are the vendor's arrays. A status code
// and a per-thread message report failures; Lib.check turns them into Go
// errors wrapping engine.ErrIndexOutOfRange, engine.ErrUnsupported or
// engine.ErrUnavailable where they apply.
//
// # Building and loading
//
// Build compiles a shim source with the machine's C++ compiler into a
// shared library, cached by the hash of everything that went into it
// (Spec, CacheDir), so a machine compiles each shim once. Load opens it
// with purego (github.com/ebitengine/purego) and resolves every function
// once.
//
// # The backend
//
// Backend is the engine.Backend both compat packages return. Its calls
// into the library run on one locked OS thread (MLX keeps its streams per
// thread; libtorch needs no thread of its own, but its CUDA path was
// verified this way). Run hands each plan step to the
// library as one op and ends with one sil_eval: libtorch runs eagerly, so
// sil_eval waits for the device; MLX records a lazy graph, so sil_eval is
// its single eval of the whole plan. (A plan with custom kernels run on
// the host reaches Run in parts; see Backend.Run.) Backend implements
// engine.Capabilities with the primitive ops its shim implements and no
// fused one: the libraries' own calls run, not Silica's fusion.
//
// # Which ops a shim implements
//
// The compat backends are peers for comparisons, not products, so a shim
// need not implement every engine op. Each lists the op codes it
// implements (sil_ops, read once by Load); the backend supports those
// (engine.OpSubset) and refuses the others with engine.ErrUnsupported,
// and the shared test suite skips their cases for that backend, saying
// so. The op codes, arities and element-wise lists the shims compile
// against (silica_shim_ops.h) are generated from the engine's op table
// when a shim is built (OpsHeader), so adding an op to the engine needs
// no shim edit: the element-wise ops that name a libtorch and an MLX
// function come with it, any other op when a shim adds it to its list.
package shim
