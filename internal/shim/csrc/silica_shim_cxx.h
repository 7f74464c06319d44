// silica_shim_cxx.h: C++ helpers the shims' sources share (not part of the
// ABI): the per-thread error message, the Fail exception, the try/catch
// that turns exceptions into statuses, and the check of an op's arity.
//
// A source may define SIL_CATCH_VENDOR, a catch clause for its library's
// own exception type, before including this header.
#ifndef SILICA_SHIM_CXX_H
#define SILICA_SHIM_CXX_H

#include <exception>
#include <string>

#include "silica_shim.h"

#ifndef SIL_CATCH_VENDOR
#define SIL_CATCH_VENDOR
#endif

namespace sil {

// last_error is the message of the calling thread's last failure.
inline thread_local std::string last_error;

// Fail is thrown to return status with a message.
struct Fail {
  int status;
  std::string msg;
};

// check_arity fails unless op takes nin inputs and gives nout outputs.
inline void check_arity(const char* shim, int op, int nin, int nout) {
  int want_in = 1, want_out = 1;
  if (op >= SIL_OP_ADD && op <= SIL_OP_MIN) want_in = 2;
  if (op == SIL_OP_FMA) want_in = 3;
  if (op == SIL_OP_MATMUL || op == SIL_OP_L2_DISTANCE || op == SIL_OP_GATHER || op == SIL_OP_DEQUANTIZE) want_in = 2;
  if (op == SIL_OP_TOPK || op == SIL_OP_QUANTIZE) want_out = 2;
  if (nin != want_in || nout != want_out)
    throw Fail{SIL_ERROR, std::string(shim) + ": op " + std::to_string(op) + " takes " + std::to_string(want_in) +
                              " inputs and " + std::to_string(want_out) + " outputs, got " + std::to_string(nin) +
                              " and " + std::to_string(nout)};
}

}  // namespace sil

// SIL_TRY and SIL_CATCH enclose the body of an exported function: it
// returns SIL_OK, or the status of the exception it threw.
#define SIL_TRY try {
#define SIL_CATCH                              \
  return SIL_OK;                               \
  }                                            \
  catch (const sil::Fail& f) {                 \
    sil::last_error = f.msg;                   \
    return f.status;                           \
  }                                            \
  SIL_CATCH_VENDOR                             \
  catch (const std::exception& e) {            \
    sil::last_error = e.what();                \
    return SIL_ERROR;                          \
  }                                            \
  catch (...) {                                \
    sil::last_error = "unknown C++ exception"; \
    return SIL_ERROR;                          \
  }

#endif
