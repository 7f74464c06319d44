package cuda

import (
	"fmt"
	"strings"
	"unsafe"
)

// NVRTC, the runtime compiler of CUDA C++, resolved from libnvrtc by
// loadNVRTC. See the NVRTC reference (docs.nvidia.com/cuda/nvrtc).

var (
	nvrtcVersion              func(major, minor *int32) int32
	nvrtcGetErrorString       func(r int32) string
	nvrtcCreateProgram        func(prog *uintptr, src, name string, numHeaders int32, headers, names unsafe.Pointer) int32
	nvrtcCompileProgram       func(prog uintptr, numOptions int32, options unsafe.Pointer) int32
	nvrtcGetProgramLogSize    func(prog uintptr, size *uint64) int32
	nvrtcGetProgramLog        func(prog uintptr, log *byte) int32
	nvrtcGetCUBINSize         func(prog uintptr, size *uint64) int32
	nvrtcGetCUBIN             func(prog uintptr, out *byte) int32
	nvrtcGetPTXSize           func(prog uintptr, size *uint64) int32
	nvrtcGetPTX               func(prog uintptr, out *byte) int32
	nvrtcDestroyProgram       func(prog *uintptr) int32
	nvrtcGetNumSupportedArchs func(n *int32) int32
	nvrtcGetSupportedArchs    func(archs *int32) int32
)

func nvrtcSymbols() map[string]any {
	return map[string]any{
		"nvrtcVersion": &nvrtcVersion, "nvrtcGetErrorString": &nvrtcGetErrorString,
		"nvrtcCreateProgram": &nvrtcCreateProgram, "nvrtcCompileProgram": &nvrtcCompileProgram,
		"nvrtcGetProgramLogSize": &nvrtcGetProgramLogSize, "nvrtcGetProgramLog": &nvrtcGetProgramLog,
		"nvrtcGetCUBINSize": &nvrtcGetCUBINSize, "nvrtcGetCUBIN": &nvrtcGetCUBIN,
		"nvrtcGetPTXSize": &nvrtcGetPTXSize, "nvrtcGetPTX": &nvrtcGetPTX,
		"nvrtcDestroyProgram":       &nvrtcDestroyProgram,
		"nvrtcGetNumSupportedArchs": &nvrtcGetNumSupportedArchs,
		"nvrtcGetSupportedArchs":    &nvrtcGetSupportedArchs,
	}
}

// CompileError is a kernel NVRTC could not compile: the kernel's name,
// NVRTC's result and its log.
type CompileError struct {
	Kernel string
	Result string
	Log    string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("cuda: compile %s: %s\n%s", e.Kernel, e.Result, strings.TrimSpace(e.Log))
}

// NVRTCVersion returns the version of the loaded libnvrtc, e.g. "13.0".
func NVRTCVersion() (string, error) {
	if err := loadNVRTC(); err != nil {
		return "", err
	}
	var ma, mi int32
	if r := nvrtcVersion(&ma, &mi); r != 0 {
		return "", fmt.Errorf("cuda: nvrtcVersion: %s", nvrtcGetErrorString(r))
	}
	return fmt.Sprintf("%d.%d", ma, mi), nil
}

// supportedArchs returns the sm_XX numbers the loaded NVRTC compiles for.
func supportedArchs() []int {
	var n int32
	if nvrtcGetNumSupportedArchs(&n) != 0 || n <= 0 {
		return nil
	}
	a := make([]int32, n)
	if nvrtcGetSupportedArchs(&a[0]) != 0 {
		return nil
	}
	out := make([]int, n)
	for i, v := range a {
		out[i] = int(v)
	}
	return out
}

// target picks what to compile for a device of compute capability cc
// (e.g. 90): machine code (cubin) for cc itself when NVRTC knows it, else
// PTX for the newest architecture it knows below cc, for the driver to
// finish.
func target(cc int) (arch string, cubin bool) {
	best := 0
	for _, a := range supportedArchs() {
		if a == cc {
			return fmt.Sprintf("sm_%d", cc), true
		}
		if a < cc && a > best {
			best = a
		}
	}
	if best == 0 {
		return fmt.Sprintf("sm_%d", cc), true
	}
	return fmt.Sprintf("compute_%d", best), false
}

// compile runs NVRTC on src with opts and returns the cubin (or PTX, when
// cubin is false) and NVRTC's log.
func compile(kernel, src string, opts []string, cubin bool) ([]byte, string, error) {
	if err := loadNVRTC(); err != nil {
		return nil, "", err
	}
	var prog uintptr
	if r := nvrtcCreateProgram(&prog, src, kernel+".cu", 0, nil, nil); r != 0 {
		return nil, "", &CompileError{Kernel: kernel, Result: nvrtcGetErrorString(r)}
	}
	defer nvrtcDestroyProgram(&prog)
	cstrs := make([][]byte, len(opts))
	ptrs := make([]*byte, len(opts)+1)
	for i, o := range opts {
		cstrs[i] = append([]byte(o), 0)
		ptrs[i] = &cstrs[i][0]
	}
	r := nvrtcCompileProgram(prog, int32(len(opts)), unsafe.Pointer(&ptrs[0]))
	var logSize uint64
	log := ""
	if nvrtcGetProgramLogSize(prog, &logSize) == 0 && logSize > 1 {
		buf := make([]byte, logSize)
		if nvrtcGetProgramLog(prog, &buf[0]) == 0 {
			log = strings.TrimRight(string(buf), "\x00")
		}
	}
	if r != 0 {
		return nil, log, &CompileError{Kernel: kernel, Result: nvrtcGetErrorString(r), Log: log}
	}
	var size uint64
	var out []byte
	if cubin {
		if r := nvrtcGetCUBINSize(prog, &size); r != 0 || size == 0 {
			return nil, log, &CompileError{Kernel: kernel, Result: "no cubin: " + nvrtcGetErrorString(r), Log: log}
		}
		out = make([]byte, size)
		r = nvrtcGetCUBIN(prog, &out[0])
	} else {
		if r := nvrtcGetPTXSize(prog, &size); r != 0 || size == 0 {
			return nil, log, &CompileError{Kernel: kernel, Result: "no PTX: " + nvrtcGetErrorString(r), Log: log}
		}
		out = make([]byte, size)
		r = nvrtcGetPTX(prog, &out[0])
	}
	if r != 0 {
		return nil, log, &CompileError{Kernel: kernel, Result: nvrtcGetErrorString(r), Log: log}
	}
	return out, log, nil
}
