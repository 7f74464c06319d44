// mlx_shim.cpp: Silica's shim over MLX's C++ API (mlx/mlx.h), implementing
// silica_shim.h. Lazy, as MLX is: sil_op only records MLX ops (each the
// call an MLX user would write: mx.matmul, mx.linalg.norm, mx.take, ...),
// and sil_eval evaluates the whole plan with one mx::eval. Where MLX's
// result differs from the engine's definition the difference is fixed up
// here, without evaluating anything early, and each fix-up says why:
//   - top-k: MLX's topk returns unsorted values without indices, and
//     argpartition orders ties and NaN arbitrarily; the shim selects on a
//     unique int64 key (value order, then index) instead;
//   - 16-bit inputs of products, norms, distances and scaled values are
//     computed in float32, as the engine defines them;
//   - float to integer casts saturate and send NaN to 0 (astype leaves
//     them undefined);
//   - quantize rounds half away from zero (mx.round rounds half to even);
//   - gather clamps its indices (take would read out of bounds) and
//     records a check that sil_eval reports as SIL_OUT_OF_RANGE.
// Every op runs on the context's device through its thread's default
// stream; Go calls the shim from one OS thread.
#include <mlx/mlx.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "silica_shim_cxx.h"

namespace mx = mlx::core;
using sil::Fail;

namespace {

// check is a gather's deferred bounds check: flag is true when an index
// was out of range; pos and value locate the first one.
struct Check {
  mx::array flag, pos, value;
  int64_t rows;
};

}  // namespace

struct sil_ctx {
  mx::Device dev{mx::Device::cpu};
  std::string info;
  std::vector<Check> checks;
};

namespace {

mx::array& A(sil_h h) { return *static_cast<mx::array*>(h); }
sil_h own(mx::array a) { return new mx::array(std::move(a)); }

mx::Dtype dtype_of(int dt) {
  switch (dt) {
    case SIL_FLOAT32: return mx::float32;
    case SIL_FLOAT16: return mx::float16;
    case SIL_BFLOAT16: return mx::bfloat16;
    case SIL_INT8: return mx::int8;
    case SIL_INT32: return mx::int32;
    case SIL_INT64: return mx::int64;
    case SIL_UINT8: return mx::uint8;
  }
  throw Fail{SIL_UNSUPPORTED, "mlx shim: unknown dtype code " + std::to_string(dt)};
}

bool is16(const mx::array& a) { return a.dtype() == mx::float16 || a.dtype() == mx::bfloat16; }
bool is_float(const mx::array& a) { return a.dtype() == mx::float32 || is16(a); }

mx::array f32(const mx::array& a, const mx::Device& d) {
  return a.dtype() == mx::float32 ? a : mx::astype(a, mx::float32, d);
}

mx::array scalar(float v) { return mx::array(v); }

// raw_shape returns the dtype and shape that hold n bytes: the widest
// unsigned type dividing n, in one dimension, or two when the count passes
// MLX's int32 dimensions.
std::pair<mx::Dtype, mx::Shape> raw_shape(int64_t n) {
  mx::Dtype dt = mx::uint8;
  int64_t w = 1;
  if (n % 8 == 0) dt = mx::uint64, w = 8;
  else if (n % 4 == 0) dt = mx::uint32, w = 4;
  else if (n % 2 == 0) dt = mx::uint16, w = 2;
  int64_t count = n / w;
  const int64_t lim = std::numeric_limits<int32_t>::max();
  if (count <= lim) return {dt, mx::Shape{static_cast<int32_t>(count)}};
  for (int64_t c = 1 << 20; c >= 1; c >>= 1)
    if (count % c == 0 && count / c <= lim)
      return {dt, mx::Shape{static_cast<int32_t>(count / c), static_cast<int32_t>(c)}};
  throw Fail{SIL_ERROR, "mlx shim: " + std::to_string(n) + " bytes do not fit MLX's int32 dimensions"};
}

// upload copies n host bytes into a new array.
mx::array upload(const void* src, int64_t n) {
  auto [dt, shape] = raw_shape(n);
  void* p = std::malloc(n);
  if (!p) throw Fail{SIL_ERROR, "mlx shim: out of host memory"};
  std::memcpy(p, src, n);
  return mx::array(p, shape, dt, [](void* q) { std::free(q); });
}

// host_bytes evaluates a and copies its bytes [off, off+n) to dst.
void host_bytes(mx::array a, const mx::Device& d, int64_t off, void* dst, int64_t n) {
  if (off < 0 || off + n > static_cast<int64_t>(a.nbytes())) throw Fail{SIL_ERROR, "mlx shim: read out of bounds"};
  mx::eval({a});
  if (!a.flags().row_contiguous) {
    a = mx::contiguous(a, false, d);
    mx::eval({a});
  }
  std::memcpy(dst, a.data<uint8_t>() + off, n);
}

mx::array elementwise(int op, const sil_attrs* at, std::vector<mx::array> x, const mx::Device& d) {
  mx::Dtype dt = x[0].dtype();
  if (op == SIL_OP_SCALE || op == SIL_OP_FMA) {
    // The factor, and a*b before the addition, stay float32 (one rounding
    // at the end, as the engine defines them).
    for (auto& t : x) t = f32(t, d);
  }
  mx::array y = x[0];
  switch (op) {
    // The ops of the engine's table (maximum and minimum propagate NaN).
#define X(code, torch, mlx) \
  case code: y = mx::mlx(x[0], d); break;
    SIL_UNARY_OPS(X)
#undef X
#define X(code, torch, mlx) \
  case code: y = mx::mlx(x[0], x[1], d); break;
    SIL_BINARY_OPS(X)
#undef X
    case SIL_OP_SCALE: y = mx::multiply(x[0], scalar(static_cast<float>(at->scalar)), d); break;
    case SIL_OP_FMA: y = mx::add(mx::multiply(x[0], x[1], d), x[2], d); break;
    default: throw Fail{SIL_UNSUPPORTED, "mlx shim: not an element-wise op"};
  }
  return y.dtype() == dt ? y : mx::astype(y, dt, d);
}

mx::array reduce(int op, const mx::array& x, int axis, const mx::Device& d) {
  mx::array xf = f32(x, d);
  switch (op) {
    case SIL_OP_SUM: return mx::sum(xf, axis, false, d);
    case SIL_OP_REDUCE_MAX: return mx::max(xf, axis, false, d);  // NaN if any is NaN
    case SIL_OP_NORM: return mx::linalg::norm(xf, std::vector<int>{axis}, false, d);
  }
  throw Fail{SIL_UNSUPPORTED, "mlx shim: not a reduction"};
}

// normalize is x / max(||x||, 1e-12) along the last axis, in float32.
mx::array normalize(const mx::array& x, const mx::Device& d) {
  mx::array xf = f32(x, d);
  mx::array n = mx::linalg::norm(xf, std::vector<int>{-1}, true, d);
  return mx::astype(mx::divide(xf, mx::maximum(n, scalar(1e-12f), d), d), x.dtype(), d);
}

mx::array matmul(const mx::array& a, const mx::array& b, bool ta, bool tb, const mx::Device& d) {
  mx::array A = f32(a, d), B = f32(b, d);
  return mx::matmul(ta ? mx::transpose(A, d) : A, tb ? mx::transpose(B, d) : B, d);
}

// l2 is ||a||^2 + ||b||^2 - 2 a·b, clamped at zero (MLX has no cdist).
mx::array l2(const mx::array& a, const mx::array& b, const mx::Device& d) {
  mx::array A = f32(a, d), B = f32(b, d);
  mx::array an = mx::sum(mx::square(A, d), -1, true, d);
  mx::array bn = mx::expand_dims(mx::sum(mx::square(B, d), -1, false, d), 0, d);
  mx::array s = mx::addmm(mx::add(an, bn, d), A, mx::transpose(B, d), -2.0f, 1.0f, d);
  return mx::maximum(s, scalar(0.0f), d);
}

mx::array i64(int64_t v) { return mx::array(v, mx::int64); }

// topk selects on a key that orders every element uniquely: the high 32
// bits rank the value (NaN lowest, so last; -0 folded into +0 so that
// they tie as numbers do), the low 31 bits rank the index (smaller index
// higher). The k largest keys, sorted, are the engine's top-k exactly:
// value order, ties to the smaller index, NaN after every number. Rows
// hold fewer than 2^31 elements.
std::pair<mx::array, mx::array> topk(const mx::array& x, int k, bool largest, const mx::Device& d) {
  int n = x.shape(-1);
  mx::array xf = mx::add(f32(x, d), scalar(0.0f), d);  // -0 + 0 = +0
  mx::array bits = mx::view(xf, mx::int32, d);
  // A monotone signed integer of the float: negative floats flip their
  // magnitude bits.
  mx::array ord = mx::bitwise_xor(
      bits, mx::bitwise_and(mx::right_shift(bits, mx::array(31, mx::int32), d), mx::array(0x7fffffff, mx::int32), d), d);
  mx::array r = mx::add(mx::astype(ord, mx::int64, d), i64(int64_t(1) << 31), d);  // numbers: [1, 2^32)
  if (!largest) r = mx::subtract(i64(int64_t(1) << 32), r, d);
  r = mx::where(mx::isnan(xf, d), i64(0), r, d);
  mx::array idx = mx::astype(mx::arange(0, n, d), mx::int64, d);
  const int64_t low = (int64_t(1) << 31) - 1;
  mx::array key = mx::add(mx::multiply(r, i64(int64_t(1) << 31), d), mx::subtract(i64(low), idx, d), d);
  mx::array best = mx::topk(key, k, -1, d);                                  // unsorted, all >= 0
  best = mx::negative(mx::sort(mx::negative(best, d), -1, d), d);            // descending
  mx::array index = mx::subtract(i64(low), mx::bitwise_and(best, i64(low), d), d);
  mx::array values = mx::take_along_axis(xf, index, -1, d);
  return {values, index};
}

mx::array gather(sil_ctx* c, const mx::array& x, const mx::array& idx) {
  const mx::Device& d = c->dev;
  int64_t n = x.shape(0);
  mx::array ix = mx::astype(idx, mx::int64, d);
  mx::array bad = mx::logical_or(mx::less(ix, i64(0), d), mx::greater_equal(ix, i64(n), d), d);
  mx::array pos = mx::argmax(bad, d);
  c->checks.push_back(Check{mx::any(bad, d), pos, mx::take(ix, pos, d), n});
  mx::array safe = mx::clip(ix, i64(0), i64(n - 1), d);
  return mx::take(x, safe, 0, d);
}

mx::array slice(const mx::array& x, const sil_attrs* a, const mx::Device& d) {
  if (x.ndim() == 1) return mx::slice(x, mx::Shape{int32_t(a->rows[0])}, mx::Shape{int32_t(a->rows[1])}, d);
  return mx::slice(x, mx::Shape{int32_t(a->rows[0]), int32_t(a->cols[0])},
                   mx::Shape{int32_t(a->rows[1]), int32_t(a->cols[1])}, d);
}

// cast converts as the engine defines: floats round to nearest even;
// float to integer truncates toward zero, saturates and sends NaN to 0;
// integer to integer saturates.
mx::array cast(const mx::array& x, mx::Dtype to, const mx::Device& d) {
  bool to_int = to == mx::int8 || to == mx::int32 || to == mx::int64;
  if (!to_int) return mx::astype(x, to, d);
  int64_t lo, hi;
  float below;  // the largest float32 not above hi (hi itself is not a float32 for int32/int64)
  if (to == mx::int8) lo = -128, hi = 127, below = 127.0f;
  else if (to == mx::int32) lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max(), below = 2147483520.0f;
  else lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max(), below = 9223371487098961920.0f;
  if (!is_float(x)) {
    if (x.dtype() == mx::int8 || to == mx::int64) return mx::astype(x, to, d);
    return mx::astype(mx::clip(x, mx::array(lo, x.dtype()), mx::array(hi, x.dtype()), d), to, d);
  }
  mx::array xf = f32(x, d);
  mx::array clean = mx::where(mx::isnan(xf, d), scalar(0.0f), xf, d);
  mx::array y = mx::astype(mx::clip(clean, scalar(static_cast<float>(lo)), scalar(below), d), to, d);
  if (to == mx::int8) return y;
  return mx::where(mx::greater_equal(xf, scalar(static_cast<float>(hi)), d), mx::array(hi, to), y, d);
}

std::pair<mx::array, mx::array> quantize(const mx::array& x, const mx::Device& d) {
  mx::array xf = f32(x, d);
  mx::array scale = mx::divide(mx::max(mx::abs(xf, d), 1, false, d), scalar(127.0f), d);
  scale = mx::where(mx::equal(scale, scalar(0.0f), d), scalar(1.0f), scale, d);
  mx::array y = mx::divide(xf, mx::expand_dims(scale, 1, d), d);
  mx::array t = mx::trunc(y, d);
  mx::array up = mx::greater_equal(mx::abs(mx::subtract(y, t, d), d), scalar(0.5f), d);
  mx::array q = mx::where(up, mx::add(t, mx::sign(y, d), d), t, d);
  q = mx::astype(mx::clip(q, scalar(-127.0f), scalar(127.0f), d), mx::int8, d);
  return {q, scale};
}

mx::array dequantize(const mx::array& q, const mx::array& s, const mx::Device& d) {
  return mx::multiply(mx::astype(q, mx::float32, d), mx::expand_dims(s, 1, d), d);
}

std::string info_string(const mx::Device& d) {
  std::string name = d == mx::Device::cpu ? "CPU" : "GPU";
  int64_t memory = 0;
  for (const auto& [k, v] : mx::device_info(d)) {
    if (k == "device_name" && std::holds_alternative<std::string>(v)) name = std::get<std::string>(v);
    if ((k == "memory_size" || k == "total_memory") && std::holds_alternative<size_t>(v))
      memory = static_cast<int64_t>(std::get<size_t>(v));
  }
  const char* tf32 = std::getenv("MLX_ENABLE_TF32");
  bool unified = d == mx::Device::cpu;
#ifdef __APPLE__
  unified = true;
#endif
  std::ostringstream s;
  s << "device=" << (d == mx::Device::cpu ? "cpu" : "gpu") << "\n"
    << "name=" << name << "\n"
    << "version=MLX " << mx::version() << " (MLX_ENABLE_TF32=" << (tf32 ? tf32 : "unset") << ")\n"
    << "memory=" << memory << "\n"
    << "unified=" << (unified ? 1 : 0) << "\n";
  return s.str();
}

// The ops this shim implements (sil_ops): the element-wise ops that name
// a MLX function in the engine's table (the generated X-macro lists),
// scale and fma, and the cases of sil_op. An engine op missing here is
// refused, and reported unsupported by the Go backend: adding an op to
// the engine needs no edit here, adding it here is optional.
#define X(code, torch, mlx) code,
const int implemented_ops[] = {SIL_UNARY_OPS(X) SIL_BINARY_OPS(X) SIL_OP_SCALE, SIL_OP_FMA,
                               SIL_OP_SUM, SIL_OP_REDUCE_MAX, SIL_OP_NORM, SIL_OP_NORMALIZE,
                               SIL_OP_MATMUL, SIL_OP_L2_DISTANCE, SIL_OP_TOPK, SIL_OP_GATHER,
                               SIL_OP_SLICE, SIL_OP_CAST, SIL_OP_QUANTIZE, SIL_OP_DEQUANTIZE};
#undef X
const sil::op_list implemented{implemented_ops, sizeof(implemented_ops) / sizeof(implemented_ops[0])};

}  // namespace

extern "C" {

int sil_abi_version(void) { return SIL_ABI_VERSION; }

int sil_ops(int32_t* out, int n) { return implemented.copy(out, n); }

const char* sil_error(void) { return sil::last_error.c_str(); }

int sil_open(const char* device, sil_ctx** out) {
  SIL_TRY
  // Float32 products at full precision unless the user chose otherwise:
  // MLX's CUDA backend uses TF32 by default, and the engine's products are
  // float32. (Apple GPUs have no TF32; the CPU ignores it.)
  setenv("MLX_ENABLE_TF32", "0", 0);
  std::string name = device ? device : "";
  bool gpu = mx::is_available(mx::Device::gpu);
  if (name.empty()) name = gpu ? "gpu" : "cpu";
  mx::Device dev = mx::Device::cpu;
  if (name == "gpu") {
    if (!gpu) throw Fail{SIL_UNAVAILABLE, "this MLX has no GPU (a CPU-only build); install mlx-metal on macOS or mlx-cuda on Linux with an NVIDIA GPU"};
    dev = mx::Device::gpu;
  } else if (name != "cpu") {
    throw Fail{SIL_UNAVAILABLE, "device " + name + " is not one of cpu, gpu"};
  }
  auto* c = new sil_ctx;
  c->dev = dev;
  c->info = info_string(dev);
  *out = c;
  SIL_CATCH
}

const char* sil_info(sil_ctx* c) { return c->info.c_str(); }

void sil_close(sil_ctx* c) { delete c; }

// MLX has no thread setting in its C++ API: its CPU work uses its own
// pool and BLAS's threads.
int sil_set_threads(sil_ctx* c, int n) { return SIL_OK; }

int sil_upload(sil_ctx* c, const void* src, int64_t n, sil_h* out) {
  SIL_TRY
  *out = own(upload(src, n));
  SIL_CATCH
}

int sil_zeros(sil_ctx* c, int64_t n, sil_h* out) {
  SIL_TRY
  auto [dt, shape] = raw_shape(n);
  mx::array z = mx::zeros(shape, dt, c->dev);
  mx::eval({z});
  *out = own(z);
  SIL_CATCH
}

int sil_write(sil_ctx* c, sil_h h, int64_t off, const void* src, int64_t n, sil_h* out) {
  SIL_TRY
  const mx::array& a = A(h);
  int64_t size = static_cast<int64_t>(a.nbytes());
  if (off < 0 || off + n > size) throw Fail{SIL_ERROR, "mlx shim: write out of bounds"};
  std::vector<uint8_t> host(size);
  host_bytes(a, c->dev, 0, host.data(), size);
  std::memcpy(host.data() + off, src, n);
  *out = own(upload(host.data(), size));
  SIL_CATCH
}

int sil_read(sil_ctx* c, sil_h h, int64_t off, void* dst, int64_t n) {
  SIL_TRY
  host_bytes(A(h), c->dev, off, dst, n);
  SIL_CATCH
}

int64_t sil_nbytes(sil_h h) { return static_cast<int64_t>(A(h).nbytes()); }

void sil_free(sil_h h) { delete static_cast<mx::array*>(h); }

int sil_view(sil_ctx* c, sil_h h, int dtype, const int64_t* shape, int ndim, sil_h* out) {
  SIL_TRY
  const mx::Device& d = c->dev;
  mx::Dtype dt = dtype_of(dtype);
  mx::Shape dims;
  int64_t count = 1;
  for (int i = 0; i < ndim; i++) {
    dims.push_back(static_cast<int32_t>(shape[i]));
    count *= shape[i];
  }
  const mx::array& a = A(h);
  if (a.dtype() == dt && static_cast<int64_t>(a.size()) == count) {
    *out = own(mx::reshape(a, dims, d));
    return SIL_OK;
  }
  int64_t esize = dt.size();
  int64_t need = count * esize, have = static_cast<int64_t>(a.nbytes());
  if (have < need) throw Fail{SIL_ERROR, "mlx shim: view larger than its buffer"};
  // Rows of the value's last dimension keep every dimension within int32.
  int64_t last = ndim > 0 ? shape[ndim - 1] : 1;
  int64_t row = last * esize, item = a.itemsize();
  mx::array v = a;
  if (row % item == 0 && have % row == 0) {
    v = mx::reshape(a, mx::Shape{static_cast<int32_t>(have / row), static_cast<int32_t>(row / item)}, d);
    v = mx::view(v, dt, d);
    v = mx::slice(v, mx::Shape{0, 0}, mx::Shape{static_cast<int32_t>(need / row), static_cast<int32_t>(last)}, d);
  } else {
    v = mx::view(mx::flatten(a, d), mx::uint8, d);
    v = mx::view(mx::slice(v, mx::Shape{0}, mx::Shape{static_cast<int32_t>(need)}, d), dt, d);
  }
  *out = own(mx::reshape(v, dims, d));
  SIL_CATCH
}

int sil_op(sil_ctx* c, int op, const sil_attrs* a, const sil_h* in, int nin, sil_h* out, int nout) {
  SIL_TRY
  sil::check_op("mlx shim", implemented, op, nin, nout);
  const mx::Device& d = c->dev;
  std::vector<mx::array> x;
  for (int i = 0; i < nin; i++) x.push_back(A(in[i]));
  switch (op) {
    case SIL_OP_SUM:
    case SIL_OP_REDUCE_MAX:
    case SIL_OP_NORM:
      out[0] = own(reduce(op, x[0], static_cast<int>(a->axis), d));
      break;
    case SIL_OP_NORMALIZE: out[0] = own(normalize(x[0], d)); break;
    case SIL_OP_MATMUL: out[0] = own(matmul(x[0], x[1], a->trans_a, a->trans_b, d)); break;
    case SIL_OP_L2_DISTANCE: out[0] = own(l2(x[0], x[1], d)); break;
    case SIL_OP_TOPK: {
      auto r = topk(x[0], static_cast<int>(a->k), a->largest != 0, d);
      out[0] = own(r.first);
      out[1] = own(r.second);
      break;
    }
    case SIL_OP_GATHER: out[0] = own(gather(c, x[0], x[1])); break;
    case SIL_OP_SLICE: out[0] = own(slice(x[0], a, d)); break;
    case SIL_OP_CAST: out[0] = own(cast(x[0], dtype_of(static_cast<int>(a->to)), d)); break;
    case SIL_OP_QUANTIZE: {
      auto r = quantize(x[0], d);
      out[0] = own(r.first);
      out[1] = own(r.second);
      break;
    }
    case SIL_OP_DEQUANTIZE: out[0] = own(dequantize(x[0], x[1], d)); break;
    default: out[0] = own(elementwise(op, a, x, d)); break;
  }
  SIL_CATCH
}

int sil_begin(sil_ctx* c) {
  c->checks.clear();
  return SIL_OK;
}

int sil_eval(sil_ctx* c, const sil_h* h, int n) {
  SIL_TRY
  std::vector<mx::array> all;
  for (int i = 0; i < n; i++) {
    mx::array& a = A(h[i]);
    a = mx::contiguous(a, false, c->dev);  // outputs are read as plain bytes
    all.push_back(a);
  }
  for (const Check& k : c->checks) {
    all.push_back(k.flag);
    all.push_back(k.pos);
    all.push_back(k.value);
  }
  mx::eval(all);
  std::vector<Check> checks;
  checks.swap(c->checks);
  for (Check& k : checks) {
    if (k.flag.item<bool>()) {
      std::ostringstream m;
      m << "index " << k.value.item<int64_t>() << " at position " << k.pos.item<uint32_t>() << ", rows [0, "
        << k.rows << ")";
      throw Fail{SIL_OUT_OF_RANGE, m.str()};
    }
  }
  SIL_CATCH
}

int sil_synchronize(sil_ctx* c) {
  SIL_TRY
  mx::synchronize(mx::default_stream(c->dev));
  SIL_CATCH
}

}  // extern "C"
