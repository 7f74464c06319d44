// torch_shim.cpp: Silica's shim over libtorch (ATen), implementing
// silica_shim.h. Eager, as PyTorch is: each engine op is the ATen call a
// PyTorch user would write (torch.mm, torch.topk, torch.cdist, ...), with
// no fusion. Where PyTorch's result differs from the engine's definition
// the difference is fixed up here, and each fix-up says why:
//   - top-k: torch.topk orders ties arbitrarily and ranks NaN first;
//   - 16-bit inputs of products, norms and distances are computed in
//     float32, as the engine defines them (float32 results);
//   - float to integer casts saturate and send NaN to 0;
//   - quantize rounds half away from zero (torch.round rounds to even);
//   - gather checks its indices first (a CUDA index_select with a bad
//     index is a device-side assert that breaks the whole context).
// Builds against libtorch 1.13 (Debian's libtorch-dev) through 2.x.
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#if __has_include(<ATen/detail/MPSHooksInterface.h>)
#include <ATen/detail/MPSHooksInterface.h>
#define SIL_HAVE_MPS_HOOKS 1
#endif
#if __has_include(<torch/version.h>)
#include <torch/version.h>
#endif

#include <dlfcn.h>

// c10::Error's what() carries a C++ backtrace; the message alone is kept.
#define SIL_CATCH_VENDOR                          \
  catch (const c10::Error& e) {                   \
    sil::last_error = e.what_without_backtrace(); \
    return SIL_ERROR;                             \
  }
#include "silica_shim_cxx.h"

#include <cstring>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

using sil::Fail;

struct sil_ctx {
  at::Device dev{at::kCPU};
  std::string info;
};

namespace {

at::Tensor& T(sil_h h) { return *static_cast<at::Tensor*>(h); }
sil_h own(at::Tensor t) { return new at::Tensor(std::move(t)); }

at::ScalarType scalar_type(int dt) {
  switch (dt) {
    case SIL_FLOAT32: return at::kFloat;
    case SIL_FLOAT16: return at::kHalf;
    case SIL_BFLOAT16: return at::kBFloat16;
    case SIL_INT8: return at::kChar;
    case SIL_INT32: return at::kInt;
    case SIL_INT64: return at::kLong;
    case SIL_UINT8: return at::kByte;
  }
  throw Fail{SIL_UNSUPPORTED, "torch shim: unknown dtype code " + std::to_string(dt)};
}

bool is16(const at::Tensor& t) {
  return t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16;
}

bool is_float(const at::Tensor& t) { return t.scalar_type() == at::kFloat || is16(t); }

// bytes views a contiguous tensor as flat bytes (shares storage).
at::Tensor bytes(const at::Tensor& t) {
  at::Tensor flat = t.contiguous().reshape({-1});
  if (flat.scalar_type() != at::kByte) flat = flat.view(at::kByte);
  return flat;
}

// on_cpu16 reports a 16-bit tensor on the CPU, where libtorch 1.13 lacks
// many Half kernels ("not implemented for 'Half'"): those ops run in
// float32 and round once at the end, which is also the engine's rule.
bool on_cpu16(const at::Tensor& t) { return is16(t) && t.device().is_cpu(); }

at::Tensor elementwise(int op, const sil_attrs* a, const std::vector<at::Tensor>& in) {
  std::vector<at::Tensor> x = in;
  at::ScalarType dt = x[0].scalar_type();
  if (on_cpu16(x[0]))
    for (auto& t : x) t = t.to(at::kFloat);
  at::Tensor y;
  switch (op) {
    // The ops of the engine's table (maximum and minimum propagate NaN).
#define X(code, torch, mlx) \
  case code: y = at::torch(x[0]); break;
    SIL_UNARY_OPS(X)
#undef X
#define X(code, torch, mlx) \
  case code: y = at::torch(x[0], x[1]); break;
    SIL_BINARY_OPS(X)
#undef X
    case SIL_OP_SCALE: y = at::mul(x[0], at::Scalar(a->scalar)); break;
    case SIL_OP_FMA: y = at::addcmul(x[2], x[0], x[1]); break;  // torch.addcmul(c, a, b)
    default: throw Fail{SIL_UNSUPPORTED, "torch shim: not an element-wise op"};
  }
  return y.scalar_type() == dt ? y : y.to(dt);
}

at::Tensor reduce(int op, const at::Tensor& x, int64_t axis) {
  std::vector<int64_t> dims{axis};
  switch (op) {
    case SIL_OP_SUM: return at::sum(x, dims, false, at::kFloat);
    case SIL_OP_REDUCE_MAX: return at::amax(x.to(at::kFloat), dims);  // NaN if any is NaN
    case SIL_OP_NORM: return at::linalg_vector_norm(x, 2, at::IntArrayRef(dims), false, at::kFloat);
  }
  throw Fail{SIL_UNSUPPORTED, "torch shim: not a reduction"};
}

// normalize is torch.nn.functional.normalize(x, p=2, dim=-1, eps=1e-12),
// in float32 for 16-bit inputs: in half precision the eps 1e-12 rounds to
// zero and a zero row would become 0/0 = NaN.
at::Tensor normalize(const at::Tensor& x) {
  at::Tensor xf = x.to(at::kFloat);
  std::vector<int64_t> last{-1};
  at::Tensor n = at::linalg_vector_norm(xf, 2, at::IntArrayRef(last), true, at::kFloat);
  return at::div(xf, n.clamp_min(1e-12)).to(x.scalar_type());
}

// as_f32 converts 16-bit matrix operands to float32: the engine's products
// and distances are float32 results of float32 arithmetic.
at::Tensor as_f32(const at::Tensor& t) { return t.to(at::kFloat); }

at::Tensor matmul(const at::Tensor& a, const at::Tensor& b, bool ta, bool tb) {
  at::Tensor A = as_f32(a), B = as_f32(b);
  return at::mm(ta ? A.t() : A, tb ? B.t() : B);
}

// l2 is torch.cdist(a, b) ** 2.
at::Tensor l2(const at::Tensor& a, const at::Tensor& b) {
  return at::cdist(as_f32(a), as_f32(b)).square();
}

// sorted_topk is the exact top-k by a full stable sort: ascending order of
// -x (largest) or x (smallest) puts NaN last and keeps ties in index order.
std::tuple<at::Tensor, at::Tensor> sorted_topk(const at::Tensor& x, int64_t k, bool largest) {
  at::Tensor key = largest ? at::neg(x) : x;
  at::Tensor idx = std::get<1>(at::sort(key, true, -1, false)).narrow(-1, 0, k).contiguous();
  return {x.gather(-1, idx), idx};
}

// topk is torch.topk(x, k + 1) plus a fix-up: torch.topk orders equal
// values arbitrarily and ranks NaN above every number. Rows where the
// (k+1)-th value differs from the k-th and no NaN was picked have a unique
// top-k set, which is then ordered by value and, among equal values, by
// index. The other rows (a tie across the boundary, or NaN) are recomputed
// by sorted_topk.
std::tuple<at::Tensor, at::Tensor> topk(const at::Tensor& x0, int64_t k, bool largest) {
  at::Tensor x = x0.to(at::kFloat).contiguous();
  int64_t n = x.size(-1);
  if (k >= n) return sorted_topk(x, k, largest);
  at::Tensor v, i;
  std::tie(v, i) = at::topk(x, k + 1, -1, largest, true);
  at::Tensor bad = at::isnan(v).any(-1).logical_or(v.select(-1, k) == v.select(-1, k - 1));
  at::Tensor vk = v.narrow(-1, 0, k), ik = i.narrow(-1, 0, k);
  at::Tensor is, perm;
  std::tie(is, perm) = at::sort(ik, -1, false);
  at::Tensor vs = vk.gather(-1, perm);
  at::Tensor vv, perm2;
  std::tie(vv, perm2) = at::sort(vs, true, -1, largest);
  at::Tensor ii = is.gather(-1, perm2);
  if (bad.any().item<bool>()) {
    if (x.dim() == 1) return sorted_topk(x, k, largest);
    at::Tensor rows = bad.nonzero().reshape({-1});
    at::Tensor fv, fi;
    std::tie(fv, fi) = sorted_topk(x.index_select(0, rows), k, largest);
    vv = vv.contiguous().index_copy(0, rows, fv);
    ii = ii.contiguous().index_copy(0, rows, fi);
  }
  return {vv.contiguous(), ii.contiguous()};
}

// gather: idx is a vector or a matrix (engine.Gather); its elements, in
// order, pick rows of x, and the result has idx's shape then x's rows'.
at::Tensor gather(const at::Tensor& x, const at::Tensor& idx_in) {
  int64_t n = x.size(0);
  at::Tensor idx = idx_in.reshape({-1});
  at::Tensor bad = idx.lt(0).logical_or(idx.ge(n));
  if (bad.any().item<bool>()) {
    at::Tensor pos = bad.nonzero().reshape({-1}).to(at::kCPU);
    int64_t p = pos[0].item<int64_t>();
    int64_t v = idx[p].item<int64_t>();
    std::ostringstream m;
    m << "index " << v << " at position " << p << ", rows [0, " << n << ")";
    throw Fail{SIL_OUT_OF_RANGE, m.str()};
  }
  std::vector<int64_t> shape(idx_in.sizes().begin(), idx_in.sizes().end());
  for (int64_t d = 1; d < x.dim(); d++) shape.push_back(x.size(d));
  return at::index_select(x, 0, idx).reshape(shape);
}

at::Tensor slice(const at::Tensor& x, const sil_attrs* a) {
  at::Tensor y = x.narrow(0, a->rows[0], a->rows[1] - a->rows[0]);
  if (x.dim() == 2) y = y.narrow(1, a->cols[0], a->cols[1] - a->cols[0]);
  return y.clone(at::MemoryFormat::Contiguous);
}

// cast converts as the engine defines: floats round to nearest even;
// float to integer truncates toward zero, saturates at the type's range
// and sends NaN to 0; integer to integer saturates. A plain .to() leaves
// NaN and out-of-range values undefined and wraps integers.
at::Tensor cast(const at::Tensor& x, at::ScalarType to) {
  bool to_int = to == at::kChar || to == at::kInt || to == at::kLong;
  if (!to_int) return x.to(to);
  double lo, hi;
  switch (to) {
    case at::kChar: lo = -128, hi = 127; break;
    case at::kInt: lo = -2147483648.0, hi = 2147483647.0; break;
    default: lo = -9223372036854775808.0, hi = 9223372036854775807.0; break;
  }
  if (!is_float(x)) {
    if (x.scalar_type() == at::kChar || to == at::kLong) return x.to(to);
    return x.clamp(static_cast<int64_t>(lo), static_cast<int64_t>(hi)).to(to);
  }
  at::Tensor xf = x.to(at::kFloat);
  // The largest float32 below 2^31 (2^63): hi itself is not a float32.
  double below = to == at::kChar ? hi : (to == at::kInt ? 2147483520.0 : 9223371487098961920.0);
  at::Tensor y = at::nan_to_num(xf, 0.0).clamp(lo, below).trunc().to(to);
  if (to != at::kChar) y = at::where(xf.ge(hi), at::scalar_tensor(static_cast<int64_t>(hi), y.options()), y);
  return y;
}

// quantize: scale = max|row|/127 (1 for a zero row), q = round(x/scale)
// with ties away from zero (torch.round rounds half to even), clamped.
std::tuple<at::Tensor, at::Tensor> quantize(const at::Tensor& x) {
  at::Tensor xf = x.to(at::kFloat);
  std::vector<int64_t> last{1};
  at::Tensor scale = at::amax(xf.abs(), last).div(127);
  scale = at::where(scale.eq(0), at::ones_like(scale), scale);
  at::Tensor y = xf.div(scale.unsqueeze(1));
  at::Tensor t = y.trunc();
  at::Tensor up = (y - t).abs().ge(0.5);
  at::Tensor q = at::where(up, t + y.sign(), t).clamp(-127, 127).to(at::kChar);
  return {q, scale};
}

at::Tensor dequantize(const at::Tensor& q, const at::Tensor& s) {
  return q.to(at::kFloat).mul(s.unsqueeze(1));
}

void synchronize(const at::Device& d) {
  if (d.is_cuda()) at::detail::getCUDAHooks().deviceSynchronize(d.index() < 0 ? 0 : d.index());
#ifdef SIL_HAVE_MPS_HOOKS
  if (d.is_mps()) at::detail::getMPSHooks().deviceSynchronize();
#endif
}

std::string torch_version();

// cuda_device asks the CUDA driver, which libtorch has loaded and
// initialized, for the name and memory of a GPU: ATen's own query needs
// the CUDA toolkit's headers, which a PyTorch wheel does not ship. On any
// failure the name stays generic and the memory 0.
void cuda_device(int index, std::string* name, int64_t* memory) {
  *name = "CUDA device " + std::to_string(index);
  *memory = 0;
  void* cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (!cuda) return;
  using get_name_fn = int (*)(char*, int, int);
  using total_mem_fn = int (*)(size_t*, int);
  auto get_name = reinterpret_cast<get_name_fn>(dlsym(cuda, "cuDeviceGetName"));
  auto total_mem = reinterpret_cast<total_mem_fn>(dlsym(cuda, "cuDeviceTotalMem_v2"));
  char buf[256] = {0};
  if (get_name && get_name(buf, sizeof(buf) - 1, index) == 0 && buf[0]) *name = buf;
  size_t bytes = 0;
  if (total_mem && total_mem(&bytes, index) == 0) *memory = static_cast<int64_t>(bytes);
  dlclose(cuda);
}

std::string describe(const at::Device& dev) {
  std::ostringstream info;
  int64_t memory = 0;
  info << "device=" << dev.str() << "\n";
  if (dev.is_cuda()) {
    std::string name;
    cuda_device(static_cast<int>(dev.index()), &name, &memory);  // DeviceIndex is a char type
    info << "name=" << name << "\n";
  } else if (dev.is_mps()) {
    info << "name=Apple GPU (MPS)\n";
  } else {
    info << "name=CPU, " << at::get_num_threads() << " threads\n";
  }
  info << "version=libtorch " << torch_version() << "\n";
  info << "memory=" << memory << "\n";
  info << "unified=" << (dev.is_cpu() || dev.is_mps() ? 1 : 0) << "\n";
  return info.str();
}

std::string torch_version() {
#ifdef TORCH_VERSION
  return TORCH_VERSION;
#else
  return "unknown";
#endif
}

// The ops this shim implements (sil_ops): the element-wise ops that name
// a libtorch function in the engine's table (the generated X-macro lists),
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
  std::string d = device ? device : "";
  bool cuda = at::hasCUDA() && at::detail::getCUDAHooks().getNumGPUs() > 0;
  bool mps = false;
#ifdef SIL_HAVE_MPS_HOOKS
  mps = at::hasMPS();
#endif
  if (d.empty()) d = cuda ? "cuda" : (mps ? "mps" : "cpu");
  at::Device dev(d);  // throws on a malformed name
  if (dev.is_cuda()) {
    if (!cuda) throw Fail{SIL_UNAVAILABLE, "this libtorch sees no CUDA device (a CPU-only build, or no NVIDIA driver); install a CUDA build of torch on a machine with an NVIDIA GPU"};
    int64_t count = at::detail::getCUDAHooks().getNumGPUs();
    int64_t index = dev.has_index() ? dev.index() : 0;
    if (index >= count)
      throw Fail{SIL_UNAVAILABLE, "cuda:" + std::to_string(index) + " requested, " + std::to_string(count) +
                                      " CUDA devices"};
    dev = at::Device(at::kCUDA, index);
  } else if (dev.is_mps()) {
    if (!mps) throw Fail{SIL_UNAVAILABLE, "this libtorch has no MPS device; MPS needs macOS on Apple silicon"};
  } else if (!dev.is_cpu()) {
    throw Fail{SIL_UNAVAILABLE, "device " + d + " is not one of cpu, cuda, mps"};
  }
  auto* c = new sil_ctx;
  c->dev = dev;
  c->info = describe(dev);
  *out = c;
  SIL_CATCH
}

int sil_set_threads(sil_ctx* c, int n) {
  SIL_TRY
  if (n < 1) throw Fail{SIL_ERROR, "torch shim: thread count " + std::to_string(n)};
  at::set_num_threads(n);
  c->info = describe(c->dev);
  SIL_CATCH
}

const char* sil_info(sil_ctx* c) { return c->info.c_str(); }

void sil_close(sil_ctx* c) { delete c; }

int sil_upload(sil_ctx* c, const void* src, int64_t n, sil_h* out) {
  SIL_TRY
  at::Tensor host = at::from_blob(const_cast<void*>(src), {n}, at::kByte);
  at::Tensor t = at::empty({n}, at::TensorOptions().dtype(at::kByte).device(c->dev));
  t.copy_(host);
  *out = own(t);
  SIL_CATCH
}

int sil_zeros(sil_ctx* c, int64_t n, sil_h* out) {
  SIL_TRY
  *out = own(at::zeros({n}, at::TensorOptions().dtype(at::kByte).device(c->dev)));
  SIL_CATCH
}

int sil_write(sil_ctx* c, sil_h h, int64_t off, const void* src, int64_t n, sil_h* out) {
  SIL_TRY
  at::Tensor b = bytes(T(h)).clone();
  if (off < 0 || off + n > b.numel()) throw Fail{SIL_ERROR, "torch shim: write out of bounds"};
  b.narrow(0, off, n).copy_(at::from_blob(const_cast<void*>(src), {n}, at::kByte));
  *out = own(b);
  SIL_CATCH
}

int sil_read(sil_ctx* c, sil_h h, int64_t off, void* dst, int64_t n) {
  SIL_TRY
  at::Tensor b = bytes(T(h));
  if (off < 0 || off + n > b.numel()) throw Fail{SIL_ERROR, "torch shim: read out of bounds"};
  at::from_blob(dst, {n}, at::kByte).copy_(b.narrow(0, off, n));
  SIL_CATCH
}

int64_t sil_nbytes(sil_h h) { return static_cast<int64_t>(T(h).numel() * T(h).element_size()); }

void sil_free(sil_h h) { delete static_cast<at::Tensor*>(h); }

int sil_view(sil_ctx* c, sil_h h, int dtype, const int64_t* shape, int ndim, sil_h* out) {
  SIL_TRY
  at::ScalarType st = scalar_type(dtype);
  std::vector<int64_t> dims(shape, shape + ndim);
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  at::Tensor t = T(h);
  at::Tensor flat;
  if (t.scalar_type() == st && t.is_contiguous()) {
    flat = t.reshape({-1});
  } else {
    at::Tensor b = bytes(t);
    int64_t need = count * static_cast<int64_t>(c10::elementSize(st));
    if (b.numel() < need) throw Fail{SIL_ERROR, "torch shim: view larger than its buffer"};
    flat = b.narrow(0, 0, need).view(st);
  }
  if (flat.numel() < count) throw Fail{SIL_ERROR, "torch shim: view larger than its buffer"};
  *out = own(flat.narrow(0, 0, count).view(dims));
  SIL_CATCH
}

int sil_op(sil_ctx* c, int op, const sil_attrs* a, const sil_h* in, int nin, sil_h* out, int nout) {
  SIL_TRY
  sil::check_op("torch shim", implemented, op, nin, nout);
  std::vector<at::Tensor> x;
  for (int i = 0; i < nin; i++) x.push_back(T(in[i]));
  switch (op) {
    case SIL_OP_SUM:
    case SIL_OP_REDUCE_MAX:
    case SIL_OP_NORM:
      out[0] = own(reduce(op, x[0], a->axis));
      break;
    case SIL_OP_NORMALIZE: out[0] = own(normalize(x[0])); break;
    case SIL_OP_MATMUL: out[0] = own(matmul(x[0], x[1], a->trans_a, a->trans_b)); break;
    case SIL_OP_L2_DISTANCE: out[0] = own(l2(x[0], x[1])); break;
    case SIL_OP_TOPK: {
      auto r = topk(x[0], a->k, a->largest != 0);
      out[0] = own(std::get<0>(r));
      out[1] = own(std::get<1>(r));
      break;
    }
    case SIL_OP_GATHER: out[0] = own(gather(x[0], x[1])); break;
    case SIL_OP_SLICE: out[0] = own(slice(x[0], a)); break;
    case SIL_OP_CAST: out[0] = own(cast(x[0], scalar_type(static_cast<int>(a->to)))); break;
    case SIL_OP_QUANTIZE: {
      auto r = quantize(x[0]);
      out[0] = own(std::get<0>(r));
      out[1] = own(std::get<1>(r));
      break;
    }
    case SIL_OP_DEQUANTIZE: out[0] = own(dequantize(x[0], x[1])); break;
    default: out[0] = own(elementwise(op, a, x)); break;
  }
  SIL_CATCH
}

int sil_begin(sil_ctx* c) { return SIL_OK; }

int sil_eval(sil_ctx* c, const sil_h* h, int n) {
  SIL_TRY
  synchronize(c->dev);
  SIL_CATCH
}

int sil_synchronize(sil_ctx* c) {
  SIL_TRY
  synchronize(c->dev);
  SIL_CATCH
}

}  // extern "C"
