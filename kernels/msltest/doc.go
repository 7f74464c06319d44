// Package msltest runs Metal Shading Language kernels on the CPU: the
// harness that proves Silica's MSL kernels in CI, where no Mac exists, and
// that users run their own kernels through (Harness.RunKernel).
//
// # How it works
//
// A source is compiled as C++17 by clang (15 or newer; Debian's clang-15
// package, installed in CI by .ci/setup.d/10-clang.sh) against the
// harness's own metal_stdlib header, with -nostdinc so that nothing but
// that header is visible. A first, preprocessing pass finds every
// `kernel` function and the attribute of each parameter; package msltest
// then generates an entry point per kernel that binds buffers,
// threadgroup memory and thread positions from the launch, and links the
// runtime (runtime/runtime.cpp). The program runs as a subprocess, one
// launch per call (Program.Run): buffers go in on stdin and come back on
// stdout, so Go code stays CGO_ENABLED=0. Builds are cached by a hash of
// everything that goes into them (SILICA_MSLTEST_CACHE, else the user's
// cache directory), so a second Compile of the same text is immediate.
//
// # Execution model
//
// Threadgroups are spread over Options.Workers OS threads that run
// concurrently. Within a threadgroup every thread (up to 1024) is a fiber
// with its own stack; a thread runs until it reaches a synchronisation
// point, then the next one runs. threadgroup_barrier is a real barrier: no
// thread passes it before every thread of its group has reached it.
// SIMD-group functions exchange values among the 32 lanes of a SIMD group
// (threads 32s..32s+31 by thread_index_in_threadgroup) once every lane
// that has not returned has reached the same function. The order in which
// runnable threads resume is Forward, Reverse or Shuffled (Options.Order,
// Options.Seed): a kernel that depends on an order a GPU does not promise
// (a missing barrier) gives wrong results under some order.
//
// A launch fails with a *LaunchError, naming the kernel, the threadgroup
// and the thread, when
//   - a thread returns while others wait at a barrier (undefined on a GPU);
//   - lanes of a SIMD group wait in different SIMD-group functions, or some
//     at a SIMD-group function and others at a barrier;
//   - a kernel reads or writes past the end of a buffer: each buffer ends
//     (up to 16-byte alignment) at an inaccessible page;
//   - a thread's stack overflows (Options.StackKB), or it runs past
//     Options.Timeout.
//
// Threadgroup memory, kernel-scope threadgroup variables and
// [[threadgroup(n)]] parameters alike, is filled with 0xFF bytes (NaN as
// float) before each threadgroup starts, so reading it before writing it
// shows.
//
// # The subset
//
// What a kernel may use (anything else fails to compile):
//   - Address spaces device, constant, threadgroup and thread. They are
//     clang address spaces, so passing a threadgroup pointer where a device
//     pointer is expected is a compile error, as in MSL. Threadgroup
//     variables may be declared in kernel scope (`threadgroup float
//     tile[64];`, `threadgroup uint n;`, one identifier as the type, no
//     initializer), or passed as `threadgroup T* p [[threadgroup(n)]]`.
//   - Kernel parameters with [[buffer(n)]], [[threadgroup(n)]] and the
//     thread-position attributes thread_position_in_grid,
//     thread_position_in_threadgroup, threadgroup_position_in_grid,
//     threads_per_threadgroup, threadgroups_per_grid, threads_per_grid,
//     thread_index_in_threadgroup, thread_index_in_simdgroup,
//     simdgroup_index_in_threadgroup, threads_per_simdgroup and
//     simdgroups_per_threadgroup, as uint, ushort or int scalars or
//     2- and 3-vectors. Every parameter needs one of these attributes.
//   - Scalar types bool, char, uchar, short, ushort, int, uint, long,
//     ulong, float, half (clang's _Float16, rounding every operation to
//     half); vectors of 2, 3 and 4 of float, half, int, uint, short,
//     ushort, char, uchar, long and ulong (clang's ext_vector_type) with
//     swizzles, element-wise arithmetic and splat construction float4(x).
//     Not the multi-argument constructors float4(a, b, c, d) nor
//     conversions float4(h4): clang's vectors have no such constructors;
//     assign components instead.
//   - as_type; math on float: sqrt, rsqrt, exp, exp2, exp10, log, log2,
//     log10, pow, sin, cos, tan, asin, acos, atan, atan2, sinh, cosh,
//     tanh, asinh, acosh, atanh, abs, fabs, fmax, fmin, max, min, clamp,
//     fma, fmod, round, rint, trunc, floor, ceil, isnan, isinf, isfinite,
//     signbit, copysign, select, dot (float2, float4), popcount, clz, ctz,
//     and precise:: sqrt, rsqrt, exp, log, divide and the transcendental
//     functions above (exp2 to atanh);
//     numeric_limits<float, int, uint>. The harness computes them with the
//     C library's correctly rounded or nearly so functions: it does not
//     model Metal's fast-math precision.
//   - threadgroup_barrier and simdgroup_barrier with mem_flags;
//     simd_sum, simd_max, simd_min, simd_prefix_exclusive_sum,
//     simd_prefix_inclusive_sum, simd_shuffle, simd_shuffle_down,
//     simd_shuffle_up, simd_shuffle_xor, simd_broadcast, simd_all,
//     simd_any, on scalars and vectors up to 64 bytes. Shuffles from an
//     inactive or out-of-range lane return the caller's own value (Metal
//     leaves them undefined).
//   - atomic_uint and atomic_int in device and threadgroup memory:
//     atomic_load/store/exchange/fetch_add/sub/and/or/min/max_explicit and
//     atomic_compare_exchange_weak_explicit, memory_order_relaxed.
//   - simdgroup_matrix<T, 8, 8> (simdgroup_float8x8, simdgroup_half8x8),
//     make_filled_simdgroup_matrix, simdgroup_load, simdgroup_store,
//     simdgroup_multiply, simdgroup_multiply_accumulate (accumulating in
//     float). Each lane holds two elements in the harness's own layout;
//     thread_elements() is not offered, since Apple's layout is not
//     public.
//
// Also outside the subset: function constants ([[function_constant(n)]]),
// textures and samplers, [[stage_in]] and every graphics function,
// structs copied whole out of device or constant memory (read their
// fields instead: clang's implicit copy constructors take generic
// references), and the C and C++ standard libraries.
//
// # What it proves
//
// Passing the harness shows that a kernel's algorithm, indexing, edge
// handling, threadgroup barriers and SIMD-group exchanges are right under
// concurrency (threadgroups on parallel OS threads; the threads of a
// group interleaved at every synchronisation point, in several orders),
// and that it stays inside its buffers. One launch runs per call: what
// runs between launches, and whether they may overlap, is the caller's
// to model. It does not show that Apple's compiler accepts the source
// (the harness is stricter in places and looser in others), nor anything
// about occupancy, speed, Metal's fast-math precision, or Apple's
// simdgroup_matrix register layout.
package msltest
