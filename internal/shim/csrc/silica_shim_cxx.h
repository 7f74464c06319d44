// silica_shim_cxx.h: C++ helpers the shims' sources share (not part of the
// ABI): the per-thread error message, the Fail exception, the try/catch
// that turns exceptions into statuses, a shim's list of the ops it
// implements, and the check of an op against it and its arity.
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

// op_list is the codes of the ops a shim implements: its sil_ops.
struct op_list {
  const int* ops;
  int count;

  bool has(int op) const {
    for (int i = 0; i < count; i++)
      if (ops[i] == op) return true;
    return false;
  }

  // copy is the body of sil_ops.
  int copy(int32_t* out, int n) const {
    for (int i = 0; i < count && i < n; i++) out[i] = ops[i];
    return count;
  }
};

// check_op fails unless op is an op of the shims that this shim implements
// (in ops) and that takes nin inputs and gives nout outputs (sil_op_inputs,
// sil_op_outputs).
inline void check_op(const char* shim, const op_list& ops, int op, int nin, int nout) {
  if (op <= 0 || op >= SIL_NUM_OPS || sil_op_outputs[op] == 0)
    throw Fail{SIL_UNSUPPORTED, std::string(shim) + ": op " + std::to_string(op) + " is not an op of the shims"};
  if (!ops.has(op))
    throw Fail{SIL_UNSUPPORTED, std::string(shim) + ": op " + std::to_string(op) + " (" + sil_op_names[op] +
                                    ") is not implemented by this shim"};
  int want_in = sil_op_inputs[op], want_out = sil_op_outputs[op];
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
