// Package torchcompat runs engine plans on real libtorch, PyTorch's C++
// library, so that Silica can be compared with PyTorch on the same work and
// a store can run on it. It registers the engine driver "torch":
//
//	import _ "github.com/silica-go/silica/torchcompat"
//
//	e, err := engine.Open("torch:cuda") // or torch:cpu, torch:mps, torch
//
// # Devices
//
// "cpu" everywhere, "cuda" (or "cuda:N") with a CUDA build of libtorch and
// an NVIDIA GPU, "mps" on Apple silicon; "torch" alone takes cuda, then
// mps, then cpu. A device libtorch lacks is an error wrapping
// engine.ErrUnavailable.
//
// # Eager, as PyTorch is
//
// Each engine op is the ATen call a PyTorch user would write: torch.mm,
// torch.topk, torch.cdist(a, b)**2, torch.nn.functional.normalize's
// formula, index_select, addcmul. The backend implements
// engine.Capabilities by accepting the primitive ops its shim implements
// (the list in csrc/torch_shim.cpp; the others are ErrUnsupported, see
// package internal/shim) and no fused one, so the scheduler fuses nothing and a comparison measures PyTorch, not
// Silica's fusion; custom kernels (engine.NewKernel) run on the host, as
// the engine arranges for a backend without their source. Float32 matrix
// products use full float32 (PyTorch's default: TF32 off). On the CPU,
// libtorch gets GOMAXPROCS intra-op threads, as many as the Go CPU
// backend has workers, unless OMP_NUM_THREADS is set. Where PyTorch's result differs from the engine's
// definition, the shim fixes it up (csrc/torch_shim.cpp says each):
// top-k ties and NaN, float32 arithmetic for 16-bit products and norms,
// saturating casts, quantize's rounding, gather's bounds.
//
// # Which libtorch
//
// The first found of: the folder named by SILICA_LIBTORCH (an unpacked
// libtorch download: include/, lib/); the torch package of
// SILICA_TORCH_PYTHON, SILICA_PYTHON or python3 (found with
// `python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'`);
// Debian's libtorch-dev (1.13, CPU only).
//
// # The shim and its cache
//
// The backend calls libtorch through a small C++ library of Silica's
// (csrc/torch_shim.cpp, the C ABI of package shim), loaded with purego,
// so the Go program stays CGO_ENABLED=0. At first use it is compiled with
// the machine's C++ compiler ($CXX, c++, g++ or clang++; about 15 s) and
// cached under os.UserCacheDir()/silica/shim (SILICA_SHIM_CACHE moves it)
// by the hash of its sources, flags, compiler and libtorch version. To
// build it by hand, with T the libtorch folder (for a Python package,
// `python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'`),
// from the repository root:
//
//	g++ -std=c++17 -O2 -fPIC -shared -D_GLIBCXX_USE_CXX11_ABI=1 -Iinternal/shim/csrc -I$T/include -I$T/include/torch/csrc/api/include torchcompat/csrc/torch_shim.cpp -o libsilica_torch.so -L$T/lib -Wl,-rpath,$T/lib -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -Wl,--as-needed
//
// (add -ltorch_cuda -lc10_cuda for a CUDA build; use _GLIBCXX_USE_CXX11_ABI=0
// for a pre-C++11-ABI libtorch; for Debian's libtorch-dev, whose files are
// in the system folders, replace the -I$T, -L$T and rpath flags by
// -I/usr/include/torch/csrc/api/include) and set SILICA_TORCH_SHIM to the
// library.
//
// # Stores
//
// A store runs on libtorch like on any backend: store.Options{Backend:
// "torch:cuda"}, or SILICA_BACKEND=torch:cpu for programs that call
// engine.Default (cmd/silica search, for one).
//
// # Tests and benchmarks
//
// The tests run the shared suite (engine/backendtest) and the compat
// checks (shim/shimtest) on torch:cpu, or on the device named by
// SILICA_TORCH_DEVICE (for example cuda). The benchmarks time cosine
// similarity, a matrix product and a top-100 search; testdata/peer.py
// times the same work from Python, for the ratio of the two:
//
//	SILICA_TORCH_DEVICE=cuda go test -run XXX -bench . ./torchcompat
//	python3 torchcompat/testdata/peer.py cuda
package torchcompat
