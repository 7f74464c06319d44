package cuda

import (
	"fmt"
	"unsafe"
)

// The CUDA driver API, resolved from libcuda.so.1 by loadDriver. See the
// CUDA Driver API reference (docs.nvidia.com/cuda/cuda-driver-api) for
// each function; the _v2 entry points are the ones the toolkit's headers
// map the plain names to.

type cuResult int32

var (
	cuInit                    func(flags uint32) cuResult
	cuDriverGetVersion        func(v *int32) cuResult
	cuDeviceGetCount          func(n *int32) cuResult
	cuDeviceGet               func(dev *int32, ordinal int32) cuResult
	cuDeviceGetName           func(name *byte, n int32, dev int32) cuResult
	cuDeviceTotalMem          func(bytes *uint64, dev int32) cuResult
	cuDeviceGetAttribute      func(v *int32, attr int32, dev int32) cuResult
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) cuResult
	cuDevicePrimaryCtxRelease func(dev int32) cuResult
	cuCtxSetCurrent           func(ctx uintptr) cuResult
	cuCtxSynchronize          func() cuResult
	cuMemAlloc                func(p *uint64, size uint64) cuResult
	cuMemFree                 func(p uint64) cuResult
	cuMemGetInfo              func(free, total *uint64) cuResult
	cuMemcpyHtoD              func(dst uint64, src unsafe.Pointer, n uint64) cuResult
	cuMemcpyHtoDAsync         func(dst uint64, src unsafe.Pointer, n uint64, stream uintptr) cuResult
	cuMemAllocHost            func(p *unsafe.Pointer, size uint64) cuResult
	cuMemFreeHost             func(p unsafe.Pointer) cuResult
	cuMemcpyDtoH              func(dst unsafe.Pointer, src uint64, n uint64) cuResult
	cuMemcpyDtoHAsync         func(dst unsafe.Pointer, src uint64, n uint64, stream uintptr) cuResult
	cuMemcpyDtoDAsync         func(dst, src uint64, n uint64, stream uintptr) cuResult
	cuMemsetD32Async          func(dst uint64, v uint32, n uint64, stream uintptr) cuResult
	cuModuleLoadData          func(mod *uintptr, image unsafe.Pointer) cuResult
	cuModuleUnload            func(mod uintptr) cuResult
	cuModuleGetFunction       func(fn *uintptr, mod uintptr, name string) cuResult
	cuFuncSetAttribute        func(fn uintptr, attr int32, v int32) cuResult
	cuLaunchKernel            func(fn uintptr, gx, gy, gz, bx, by, bz, smem uint32, stream uintptr, params, extra unsafe.Pointer) cuResult
	cuStreamCreate            func(s *uintptr, flags uint32) cuResult
	cuStreamSynchronize       func(s uintptr) cuResult
	cuStreamDestroy           func(s uintptr) cuResult
	cuEventCreate             func(e *uintptr, flags uint32) cuResult
	cuEventRecord             func(e, s uintptr) cuResult
	cuEventSynchronize        func(e uintptr) cuResult
	cuEventElapsedTime        func(ms *float32, start, end uintptr) cuResult
	cuEventDestroy            func(e uintptr) cuResult
	cuGetErrorName            func(r cuResult, s **byte) cuResult
)

func driverSymbols() map[string]any {
	return map[string]any{
		"cuInit": &cuInit, "cuDriverGetVersion": &cuDriverGetVersion,
		"cuDeviceGetCount": &cuDeviceGetCount, "cuDeviceGet": &cuDeviceGet,
		"cuDeviceGetName": &cuDeviceGetName, "cuDeviceTotalMem_v2": &cuDeviceTotalMem,
		"cuDeviceGetAttribute":         &cuDeviceGetAttribute,
		"cuDevicePrimaryCtxRetain":     &cuDevicePrimaryCtxRetain,
		"cuDevicePrimaryCtxRelease_v2": &cuDevicePrimaryCtxRelease,
		"cuCtxSetCurrent":              &cuCtxSetCurrent, "cuCtxSynchronize": &cuCtxSynchronize,
		"cuMemAlloc_v2": &cuMemAlloc, "cuMemFree_v2": &cuMemFree, "cuMemGetInfo_v2": &cuMemGetInfo,
		"cuMemcpyHtoD_v2": &cuMemcpyHtoD, "cuMemcpyDtoH_v2": &cuMemcpyDtoH,
		"cuMemcpyHtoDAsync_v2": &cuMemcpyHtoDAsync, "cuMemcpyDtoHAsync_v2": &cuMemcpyDtoHAsync,
		"cuMemAllocHost_v2": &cuMemAllocHost, "cuMemFreeHost": &cuMemFreeHost,
		"cuMemcpyDtoDAsync_v2": &cuMemcpyDtoDAsync, "cuMemsetD32Async": &cuMemsetD32Async,
		"cuModuleLoadData": &cuModuleLoadData, "cuModuleUnload": &cuModuleUnload,
		"cuModuleGetFunction": &cuModuleGetFunction, "cuFuncSetAttribute": &cuFuncSetAttribute,
		"cuLaunchKernel": &cuLaunchKernel,
		"cuStreamCreate": &cuStreamCreate, "cuStreamSynchronize": &cuStreamSynchronize,
		"cuStreamDestroy_v2": &cuStreamDestroy,
		"cuEventCreate":      &cuEventCreate, "cuEventRecord": &cuEventRecord,
		"cuEventSynchronize": &cuEventSynchronize, "cuEventElapsedTime": &cuEventElapsedTime,
		"cuEventDestroy_v2": &cuEventDestroy,
		"cuGetErrorName":    &cuGetErrorName,
	}
}

// Device attributes (CUdevice_attribute) and function attributes
// (CUfunction_attribute) the backend reads or sets.
const (
	attrMultiprocessorCount     = 16
	attrL2CacheSize             = 38
	attrComputeCapabilityMajor  = 75
	attrComputeCapabilityMinor  = 76
	attrMaxSharedPerBlockOptin  = 97
	funcAttrMaxDynamicSharedMem = 8
	funcAttrPreferredCarveout   = 9 // CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT, percent
)

// Result codes the backend tests for.
const (
	cudaSuccess          cuResult = 0
	cudaErrOutOfMemory   cuResult = 2
	cudaErrNoDevice      cuResult = 100
	cudaErrInvalidDevice cuResult = 101
)

// Error is a failed driver call: the function and its CUresult.
type Error struct {
	Func string
	Code int32
	Name string // e.g. CUDA_ERROR_OUT_OF_MEMORY
}

func (e *Error) Error() string { return fmt.Sprintf("cuda: %s: %s (%d)", e.Func, e.Name, e.Code) }

// check turns a CUresult into an error naming the call and the result.
func check(fn string, r cuResult) error {
	if r == cudaSuccess {
		return nil
	}
	return &Error{Func: fn, Code: int32(r), Name: resultName(r)}
}

func resultName(r cuResult) string {
	if cuGetErrorName != nil {
		var p *byte
		if cuGetErrorName(r, &p) == cudaSuccess && p != nil {
			return cString(p)
		}
	}
	return fmt.Sprintf("CUresult %d", r)
}

// cString copies a NUL-terminated C string.
func cString(p *byte) string {
	if p == nil {
		return ""
	}
	var b []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		b = append(b, *(*byte)(q))
	}
	return string(b)
}
