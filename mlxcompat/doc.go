// Package mlxcompat runs engine plans on real MLX (Apple's array library,
// through its C++ API mlx/mlx.h), so that Silica can be compared with MLX
// on the same work and a store can run on it. It registers the engine
// driver "mlx":
//
//	import _ "github.com/silica-go/silica/mlxcompat"
//
//	e, err := engine.Open("mlx:gpu") // or mlx:cpu, mlx
//
// # Devices
//
// "cpu" everywhere MLX installs, "gpu" with a GPU build (mlx-metal on
// Apple silicon, mlx-cuda); "mlx" alone takes gpu, then cpu. A device MLX
// lacks is an error wrapping engine.ErrUnavailable.
//
// # Lazy, as MLX is
//
// Each engine op becomes the MLX op an MLX user would write (mx.matmul,
// mx.linalg.norm, mx.take, ...), recorded in MLX's lazy graph; the whole
// plan is then evaluated by one mx::eval per engine Run, so MLX schedules
// it as its own users' programs are. The backend accepts the primitive ops
// its shim implements (the list in csrc/mlx_shim.cpp; the others are
// ErrUnsupported, see package internal/shim) and no fused one
// (engine.Capabilities): no fusion of Silica's runs;
// custom kernels (engine.NewKernel) run on the host. Calls into MLX run on
// one locked OS thread, since MLX keeps its default streams per thread.
// Where MLX's result differs from the engine's definition the shim fixes
// it up without evaluating early (csrc/mlx_shim.cpp says each): top-k
// order, ties and NaN (selection on a unique value-and-index key), float32
// arithmetic for 16-bit products and norms, saturating casts, quantize's
// rounding, gather's bounds (checked in the same eval).
//
// # TF32
//
// The backend sets MLX_ENABLE_TF32=0 when the variable is unset, so
// float32 products are computed in full float32, as Silica's are (MLX's
// CUDA backend would use TF32; Apple GPUs have none; the CPU ignores it).
// A value the user set is kept. DeviceInfo.Version reports the setting.
//
// # Which MLX
//
// The first found of: the folder named by SILICA_MLX (with include/mlx
// and lib/libmlx); the mlx package of SILICA_MLX_PYTHON, SILICA_PYTHON or
// python3, whose backend wheel (pip install "mlx[cpu]" on Linux, mlx-metal
// on macOS) ships the headers and libmlx under site-packages/mlx; then
// /opt/homebrew, /usr/local and /usr (brew install mlx).
//
// # The shim and its cache
//
// MLX is called through a small C++ library of Silica's
// (csrc/mlx_shim.cpp, the C ABI of package internal/shim), loaded with
// purego, so the Go program stays CGO_ENABLED=0. At first use it is
// compiled with the machine's C++ compiler (C++20; a few seconds) and
// cached under os.UserCacheDir()/silica/shim (SILICA_SHIM_CACHE moves it).
// To build it by hand, with M the MLX folder (for the Python package,
// `python3 -m mlx --cmake-dir` prints it), from the repository root:
//
//	g++ -std=c++20 -O2 -fPIC -shared -Iinternal/shim/csrc -I$M/include mlxcompat/csrc/mlx_shim.cpp -o libsilica_mlx.so -L$M/lib -Wl,-rpath,$M/lib -lmlx
//
// and set SILICA_MLX_SHIM to the library (.dylib on macOS).
//
// # Stores
//
// A store runs on MLX like on any backend: store.Options{Backend:
// "mlx:gpu"}, or SILICA_BACKEND=mlx for programs that call
// engine.Default.
//
// # Tests and benchmarks
//
// The tests run the shared suite (engine/backendtest) and the compat
// checks (internal/shim/shimtest) on mlx:cpu, or on the device named
// by SILICA_MLX_DEVICE. The benchmarks and testdata/peer.py time the same
// work from Go and from Python:
//
//	go test -run XXX -bench . ./mlxcompat
//	python3 mlxcompat/testdata/peer.py cpu
package mlxcompat
