package cuda

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// device owns one GPU's primary context, its stream and its loaded
// kernels. A CUDA context is current per OS thread, and Go moves
// goroutines between threads, so every driver call runs inside do: under
// one mutex, on the caller's goroutine locked to its thread for the
// call, with the context made current on that thread. Only the pool's
// bookkeeping (Free) happens outside it.
//
// do once handed the work to a goroutine locked to its own thread; on the
// lent H200 each such round trip cost about 0.04 ms (cudabench -hostcosts),
// waking a parked thread twice, and a search makes several.
type device struct {
	ordinal   int
	dev       int32
	ctx       uintptr
	stream    uintptr
	name      string
	cc        int // compute capability, e.g. 90
	sms       int
	l2        int
	smemOptin int
	totalMem  uint64
	driver    int32

	arch  string // NVRTC target, e.g. sm_90
	cubin bool
	cache string // disk cache folder, "" for none
	dry   bool   // Warm: kernels are loaded, launchN launches nothing
	// virtual: a kernel lister's (NewLister), with no GPU: its dry runs
	// list their kernels in mods without loading them (no handle).
	virtual bool
	stamp   string // NVRTC and driver versions, part of the cache key
	mods    map[string]*module

	mu     sync.Mutex // held by do: one driver call sequence at a time
	params [64]uint64
	ptrs   [64]unsafe.Pointer
	bigSet map[uintptr]int // functions whose dynamic shared memory limit was raised

	timing         bool // record events around each Run (EnableTiming)
	evStart, evEnd uintptr
	lastMs         float64

	staging   [2]staged      // pinned host memory for large writes (write.go)
	bounce    unsafe.Pointer // pinned host memory for small reads and writes (write.go), bounceSize bytes
	uploads   unsafe.Pointer // pinned host memory for small uploads in the stream's order (write.go), uploadSize bytes
	upOff     int            // the next free byte of uploads; 0 once the stream has drained (sync)
	results   unsafe.Pointer // pinned host memory for a run's small results (run.go), resultSize bytes
	ahead     unsafe.Pointer // pinned host memory for a run's read-ahead (readahead.go), aheadSize bytes
	aheadSize int
	gen       uint64       // bumped by every run, write and copy on the device (readahead.go)
	aheadMu   sync.RWMutex // held for reading by views of ahead, for writing by a run's copies into it

	profiling bool      // record events around each launch (EnableProfile)
	evPool    []uintptr // events for profiling, reused
	evUsed    int
	profNames []string           // the kernel of each pair of events of the Run
	profile   map[string]float64 // milliseconds by kernel, summed over runs
}

// openDevice sets up device ordinal: its primary context and stream.
func openDevice(ordinal int) (*device, error) {
	d := &device{ordinal: ordinal, mods: map[string]*module{}, bigSet: map[uintptr]int{}}
	for i := range d.ptrs {
		d.ptrs[i] = unsafe.Pointer(&d.params[i])
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := d.init(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *device) init() error {
	if err := check("cuDeviceGet", cuDeviceGet(&d.dev, int32(d.ordinal))); err != nil {
		return err
	}
	var nb [256]byte
	if err := check("cuDeviceGetName", cuDeviceGetName(&nb[0], int32(len(nb)), d.dev)); err != nil {
		return err
	}
	d.name = cString(&nb[0])
	attr := func(a int32) int {
		var v int32
		cuDeviceGetAttribute(&v, a, d.dev)
		return int(v)
	}
	d.cc = attr(attrComputeCapabilityMajor)*10 + attr(attrComputeCapabilityMinor)
	d.sms = attr(attrMultiprocessorCount)
	d.l2 = attr(attrL2CacheSize)
	d.smemOptin = attr(attrMaxSharedPerBlockOptin)
	if err := check("cuDeviceTotalMem", cuDeviceTotalMem(&d.totalMem, d.dev)); err != nil {
		return err
	}
	cuDriverGetVersion(&d.driver)
	if err := check("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(&d.ctx, d.dev)); err != nil {
		return err
	}
	if err := check("cuCtxSetCurrent", cuCtxSetCurrent(d.ctx)); err != nil {
		cuDevicePrimaryCtxRelease(d.dev)
		return err
	}
	if err := check("cuStreamCreate", cuStreamCreate(&d.stream, 0)); err != nil {
		cuDevicePrimaryCtxRelease(d.dev)
		return err
	}
	v, _ := NVRTCVersion()
	d.arch, d.cubin = target(d.cc)
	d.cache = cacheDir()
	d.stamp = "nvrtc " + v + " driver " + strconv.Itoa(int(d.driver))
	return nil
}

func (d *device) release() {
	d.freeStaging()
	for _, m := range d.mods {
		cuModuleUnload(m.handle)
	}
	cuStreamDestroy(d.stream)
	cuDevicePrimaryCtxRelease(d.dev)
}

// do runs f with the device's context current on the calling thread,
// one f at a time, and returns its error (a panic in f becomes one).
func (d *device) do(f func() error) (err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cuda: panic in a driver call sequence: %v", r)
		}
	}()
	if err := check("cuCtxSetCurrent", cuCtxSetCurrent(d.ctx)); err != nil {
		return err
	}
	return f()
}

// dptr is a device address.
type dptr = uint64

// launchN runs fn on the stream with grid x block threads, smem bytes of
// dynamic shared memory and the arguments packed in a.
func (d *device) launchN(name string, fn uintptr, grid, block [3]int, smem int, a *argPack) error {
	if a.n > len(d.params) {
		return fmt.Errorf("cuda: %s: %d kernel arguments, at most %d", name, a.n, len(d.params))
	}
	copy(d.params[:a.n], a.v[:a.n])
	if d.dry && fn == 0 { // listed, not loaded (NewLister)
		return nil
	}
	if smem > 48<<10 && d.bigSet[fn] < smem {
		if smem > d.smemOptin {
			return fmt.Errorf("cuda: %s needs %d bytes of shared memory, the device allows %d", name, smem, d.smemOptin)
		}
		if err := check("cuFuncSetAttribute("+name+")", cuFuncSetAttribute(fn, funcAttrMaxDynamicSharedMem, int32(smem))); err != nil {
			return err
		}
		// A hint (its result is not an error): the largest shared-memory
		// carveout, so that blocks sized for two an SM (the v5 scan's mb=2)
		// get two.
		cuFuncSetAttribute(fn, funcAttrPreferredCarveout, 100)
		d.bigSet[fn] = smem
	}
	for i := range grid {
		grid[i] = max(grid[i], 1)
	}
	if grid[1] > 65535 || grid[2] > 65535 || grid[0] > math.MaxInt32 {
		return fmt.Errorf("cuda: %s: grid %v too large", name, grid)
	}
	if d.dry {
		return nil
	}
	if d.profiling {
		if err := d.profMark(name); err != nil {
			return err
		}
	}
	err := check("cuLaunchKernel("+name+")", cuLaunchKernel(fn, uint32(grid[0]), uint32(grid[1]), uint32(grid[2]),
		uint32(block[0]), uint32(block[1]), uint32(block[2]), uint32(smem), d.stream, unsafe.Pointer(&d.ptrs[0]), nil))
	if err == nil && d.profiling {
		err = d.profMark("")
	}
	return err
}

// profMark records the next pooled event on the stream: before a launch
// of name, or after it (name "").
func (d *device) profMark(name string) error {
	if d.evUsed == len(d.evPool) {
		var e uintptr
		if err := check("cuEventCreate", cuEventCreate(&e, 0)); err != nil {
			return err
		}
		d.evPool = append(d.evPool, e)
	}
	if name != "" {
		d.profNames = append(d.profNames, name)
	}
	e := d.evPool[d.evUsed]
	d.evUsed++
	return check("cuEventRecord", cuEventRecord(e, d.stream))
}

// profCollect adds the times of the Run's launches to the profile, once
// the stream has finished.
func (d *device) profCollect() {
	if !d.profiling {
		return
	}
	for i, name := range d.profNames {
		if 2*i+1 >= d.evUsed {
			break
		}
		var ms float32
		if cuEventElapsedTime(&ms, d.evPool[2*i], d.evPool[2*i+1]) == cudaSuccess {
			d.profile[name] += float64(ms)
		}
	}
	d.profNames = d.profNames[:0]
	d.evUsed = 0
}

// sync waits for the stream.
func (d *device) sync() error {
	if err := check("cuStreamSynchronize", cuStreamSynchronize(d.stream)); err != nil {
		return err
	}
	d.upOff = 0 // every queued upload has been copied
	return nil
}

// unavailable wraps err as engine.ErrUnavailable. The backend's name is
// not repeated: engine.Open's error names it.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
}

var errClosed = errors.New("cuda: backend closed")
