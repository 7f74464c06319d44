// silica_shim.h: the C ABI of Silica's compat shims.
//
// A shim is a small C++ library, compiled against a vendor library
// (libtorch, MLX), that Go loads with purego. Every shim implements
// exactly these functions; the Go package
// github.com/silica-go/silica/internal/shim drives them. Handles are
// opaque pointers to the vendor's array type (at::Tensor, mlx::core::array),
// each owned by whoever received it until sil_free.
//
// Every function that can fail returns a status (SIL_OK on success); the
// message of the last failure on the calling thread is sil_error().
#ifndef SILICA_SHIM_H
#define SILICA_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// SIL_ABI_BASE changes whenever a signature or a status or dtype code
// below changes; SIL_ABI_VERSION adds the checksum of the op codes
// (SIL_OPS_VERSION, silica_shim_ops.h), so that it changes with them.
#define SIL_ABI_BASE 2
#define SIL_ABI_VERSION (SIL_ABI_BASE * 65536 + SIL_OPS_VERSION)

// Status codes.
enum {
  SIL_OK = 0,
  SIL_ERROR = 1,          // any failure of the vendor library
  SIL_OUT_OF_RANGE = 2,   // a gather index outside the rows (ErrIndexOutOfRange)
  SIL_UNSUPPORTED = 3,    // an op or dtype the shim has no call for (ErrUnsupported)
  SIL_UNAVAILABLE = 4     // the device asked for is absent (ErrUnavailable)
};

// Element types: the values of engine.DType, plus raw bytes.
enum {
  SIL_FLOAT32 = 1,
  SIL_FLOAT16 = 2,
  SIL_BFLOAT16 = 3,
  SIL_INT8 = 4,
  SIL_INT32 = 5,
  SIL_INT64 = 6,
  SIL_UINT8 = 100
};

// Ops: SIL_OP_* (the values of engine.Op) of every primitive op,
// SIL_NUM_OPS, the arity tables sil_op_inputs and sil_op_outputs and the
// names sil_op_names, generated from the engine's op table when the shim
// is built (shim.OpsHeader; go run ./internal/tools/shimops prints it). A
// shim implements the ops it lists in sil_ops, not necessarily all.
#include "silica_shim_ops.h"

// sil_attrs carries a step's attributes (engine.Attrs); each op reads the
// fields its engine comment names. All fields are 8 bytes wide so that the
// Go struct has the same layout.
typedef struct {
  int64_t axis;      // reductions: the axis, already non-negative
  int64_t k;         // topk: results per row, 1 <= k <= n
  int64_t largest;   // topk: nonzero for the largest first
  int64_t trans_a;   // matmul
  int64_t trans_b;   // matmul
  int64_t to;        // cast: the target SIL_* dtype
  int64_t rows[2];   // slice: [start, end)
  int64_t cols[2];   // slice: [start, end), 2-D inputs
  double scalar;     // scale: the factor (a float32 value)
} sil_attrs;

typedef struct sil_ctx sil_ctx;  // one opened device
typedef void* sil_h;             // one array

int sil_abi_version(void);
const char* sil_error(void);

// sil_open opens a device ("cpu", "cuda", "cuda:1", "mps", "gpu"; "" for
// the best one) into *out. sil_info describes it as "key=value" lines:
// device, name, version, memory (bytes, 0 if unknown), unified (0 or 1).
int sil_open(const char* device, sil_ctx** out);
const char* sil_info(sil_ctx* c);
void sil_close(sil_ctx* c);
// sil_set_threads sets the library's CPU threads (intra-op), where it has
// such a setting; sil_info reflects it.
int sil_set_threads(sil_ctx* c, int n);

// Memory: raw byte arrays on the device.
int sil_upload(sil_ctx* c, const void* src, int64_t n, sil_h* out);
int sil_zeros(sil_ctx* c, int64_t n, sil_h* out);
// sil_write returns in *out a new array: h's bytes with [off, off+n)
// replaced by src. h itself is left unchanged.
int sil_write(sil_ctx* c, sil_h h, int64_t off, const void* src, int64_t n, sil_h* out);
// sil_read copies bytes [off, off+n) of h to dst, after all work on h.
int sil_read(sil_ctx* c, sil_h h, int64_t off, void* dst, int64_t n);
int64_t sil_nbytes(sil_h h);
void sil_free(sil_h h);

// sil_view returns the first prod(shape) elements of h's bytes as an
// array of dtype and shape (no copy where the library allows).
int sil_view(sil_ctx* c, sil_h h, int dtype, const int64_t* shape, int ndim, sil_h* out);

// sil_ops writes the codes of the ops the shim implements to out (at most
// n of them) and returns how many it implements. Go asks once, at load:
// the compat backend supports those ops and refuses the others
// (ErrUnsupported), so a new engine op needs no shim edit. sil_op refuses
// an op the list lacks with SIL_UNSUPPORTED.
int sil_ops(int32_t* out, int n);

// sil_op runs (or, for a lazy library, records) one engine op: nin inputs,
// nout outputs written to out. Each output is a new array.
int sil_op(sil_ctx* c, int op, const sil_attrs* a, const sil_h* in, int nin, sil_h* out, int nout);

// sil_eval finishes a plan: it computes the n arrays (a lazy library
// evaluates its graph here, once) and waits for the device. A gather index
// out of range found here is SIL_OUT_OF_RANGE.
int sil_eval(sil_ctx* c, const sil_h* h, int n);
// sil_begin starts a plan (forgets the checks of a failed one).
int sil_begin(sil_ctx* c);
// sil_synchronize waits for all work on the device.
int sil_synchronize(sil_ctx* c);

#ifdef __cplusplus
}
#endif

#endif
