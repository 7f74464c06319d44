package cuda

import (
	"unsafe"

	"github.com/silica-go/silica/internal/par"
)

// A write or read larger than the small pinned buffer (bounceSize) is
// staged through large buffers of pinned host memory: a write through
// two, the host copying a chunk of the source into one (split over the
// cores) while the copy engine moves the other to the device; a read
// through the first, a chunk at a time (readStaged). Either runs at the
// link's speed for pinned memory rather than the driver's for pageable
// memory (run 16 on the H200: about 4 GB/s pageable, the store's float32
// adds being the case that matters: 3 GB for 1M x 768 rows; and about 1
// GB/s for a search's 1.5 to 3 MB of 1024 queries, or its hits at a
// large k).
const stagedChunk = 32 << 20 // bytes of each pinned buffer

// staged is one pinned buffer and the event that marks its last copy to
// the device done.
type staged struct {
	p  unsafe.Pointer
	ev uintptr
}

// writeStaged copies src to the device at dst through the pinned
// buffers (allocated on first use, kept until the device is released),
// and returns when the device holds it. It runs inside do,
// with the stream idle.
func (d *device) writeStaged(dst uint64, src []byte) error {
	return d.writeStagedFrom(dst, len(src), unsafe.Pointer(&src[0]), func(p []byte, at int) {
		copyParallel(p, src[at:at+len(p)])
	})
}

// writeStagedFrom is writeStaged of n bytes that fill copies into the
// pinned buffers: fill(p, at) copies bytes [at, at+len(p)) of the source
// into p. Without pinned memory it copies from direct, the source whole
// in host memory (nil: fill joins it first).
func (d *device) writeStagedFrom(dst uint64, n int, direct unsafe.Pointer, fill func(p []byte, at int)) error {
	if !d.stagingReady() {
		// Without pinned memory (or its events) the write is the plain one.
		if direct == nil {
			joined := make([]byte, n)
			fill(joined, 0)
			direct = unsafe.Pointer(&joined[0])
		}
		return check("cuMemcpyHtoD", cuMemcpyHtoD(dst, direct, uint64(n)))
	}
	for i, off := 0, 0; off < n; i, off = i+1, off+stagedChunk {
		st := &d.staging[i%2]
		if err := check("cuEventSynchronize", cuEventSynchronize(st.ev)); err != nil {
			return err
		}
		size := min(n-off, stagedChunk)
		fill(unsafe.Slice((*byte)(st.p), size), off)
		if err := check("cuMemcpyHtoDAsync", cuMemcpyHtoDAsync(dst+uint64(off), st.p, uint64(size), d.stream)); err != nil {
			return err
		}
		if err := check("cuEventRecord", cuEventRecord(st.ev, d.stream)); err != nil {
			return err
		}
	}
	return d.sync()
}

// gatherParallel copies bytes [at, at+len(dst)) of rows joined (each
// rowBytes long) into dst, split over the cores as copyParallel is.
func gatherParallel(dst []byte, rows [][]byte, rowBytes, at int) {
	par.Split(len(dst), copyGrain, func(lo, hi int) {
		for i := at + lo; lo < hi; {
			n := copy(dst[lo:hi], rows[i/rowBytes][i%rowBytes:])
			lo, i = lo+n, i+n
		}
	})
}

// readStaged copies len(dst) bytes from the device at src into dst
// through the first pinned buffer, a chunk at a time: the copy engine
// fills it at the link's speed, then the cores copy it out. It runs
// inside do, with the stream idle.
func (d *device) readStaged(dst []byte, src uint64) error {
	if !d.stagingReady() {
		return check("cuMemcpyDtoH", cuMemcpyDtoH(unsafe.Pointer(&dst[0]), src, uint64(len(dst))))
	}
	p := d.staging[0].p
	for off := 0; off < len(dst); off += stagedChunk {
		part := dst[off:min(len(dst), off+stagedChunk)]
		if err := check("cuMemcpyDtoH", cuMemcpyDtoH(p, src+uint64(off), uint64(len(part)))); err != nil {
			return err
		}
		copyParallel(part, unsafe.Slice((*byte)(p), len(part)))
	}
	return nil
}

// stagingReady allocates the pinned buffers and their events on first
// use (kept until the device is released) and reports whether they are
// there: false when pinned memory (or an event) cannot be had.
func (d *device) stagingReady() bool {
	for i := range d.staging {
		st := &d.staging[i]
		if st.p != nil {
			continue
		}
		if cuMemAllocHost(&st.p, stagedChunk) != 0 {
			st.p = nil
			return false
		}
		if cuEventCreate(&st.ev, 2) != 0 || cuEventRecord(st.ev, d.stream) != 0 { // 2: CU_EVENT_DISABLE_TIMING
			d.freeStaging()
			return false
		}
	}
	return true
}

// copyParallel copies src into dst (of the same length), split over the
// cores (par.Split: a copy out of pinned memory into a fresh Go slice
// runs at a few GB/s a core).
func copyParallel(dst, src []byte) {
	par.Split(len(src), copyGrain, func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
}

// copyGrain is the fewest bytes a goroutine of a staged copy takes.
const copyGrain = 256 << 10

// A small read or write (a search's queries and hits) goes through one
// pinned buffer: the driver copies pageable memory of these sizes at
// about 1 GB/s (run 17 on the H200, cudabench -hostcosts: 256 KiB read
// back in 0.20 ms), pinned memory at the link's speed, and the host's
// copy between the buffer and the caller's memory is a memmove.
const bounceSize = 1 << 20

// bounceBuf returns the pinned buffer for n bytes (allocated on first
// use, kept until the device is released), or nil when n is larger or
// no pinned memory can be had: the caller then copies directly.
func (d *device) bounceBuf(n int) []byte {
	if n > bounceSize {
		return nil
	}
	if d.bounce == nil && cuMemAllocHost(&d.bounce, bounceSize) != 0 {
		d.bounce = nil
		return nil
	}
	return unsafe.Slice((*byte)(d.bounce), n)
}

// writeFrom copies src to the device at dst by the way its size takes:
// up to uploadSize bytes queued in the stream (upload), up to bounceSize
// through the small pinned buffer (writeSmall), more staged
// (writeStaged). It runs inside do, the stream idle for the latter two
// (Backend.write).
func (d *device) writeFrom(dst uint64, src []byte) error {
	switch {
	case len(src) <= uploadSize:
		return d.upload(dst, src)
	case len(src) > bounceSize:
		return d.writeStaged(dst, src)
	}
	return d.writeSmall(dst, src)
}

// writeSmall copies src (at most bounceSize bytes) to the device at dst
// through the pinned buffer, or directly without one. It runs inside do,
// with the stream idle.
func (d *device) writeSmall(dst uint64, src []byte) error {
	if b := d.bounceBuf(len(src)); b != nil {
		copy(b, src)
		return check("cuMemcpyHtoD", cuMemcpyHtoD(dst, unsafe.Pointer(&b[0]), uint64(len(src))))
	}
	return check("cuMemcpyHtoD", cuMemcpyHtoD(dst, unsafe.Pointer(&src[0]), uint64(len(src))))
}

// readSmall copies len(dst) bytes (at most bounceSize) from the device
// at src into dst, as writeSmall does the other way.
func (d *device) readSmall(dst []byte, src uint64) error {
	if b := d.bounceBuf(len(dst)); b != nil {
		if err := check("cuMemcpyDtoH", cuMemcpyDtoH(unsafe.Pointer(&b[0]), src, uint64(len(dst)))); err != nil {
			return err
		}
		copyParallel(dst, b)
		return nil
	}
	return check("cuMemcpyDtoH", cuMemcpyDtoH(unsafe.Pointer(&dst[0]), src, uint64(len(dst))))
}

// Small uploads (a search's queries, the starts of packed sequences, a
// custom kernel's parameters) go through a pinned buffer of the
// device's, in the stream's order: each is copied into the buffer at the
// next free offset (device.upOff) and from there by cuMemcpyHtoDAsync, so
// the host neither waits for the kernels queued before it nor for the
// copy. A cuMemcpyHtoD would wait for both: the legacy default stream,
// where it runs, waits for the device's stream (run 29 A's trace of 64
// float16 queries over 1M rows on an H100: a stream sync of 17 us and a
// synchronous copy of the 98 KB of queries of 51 us, before the first
// kernel). The buffer is written from its start again only once the
// stream has drained (device.sync), whoever queued the copies before.
const uploadSize = 256 << 10

// upload copies src to the device at dst in the stream's order, through
// the uploads buffer from offset d.upOff (allocated on first use, kept
// until the device is released; d.upOff is advanced past the copy, or
// the stream drained first when the buffer is full). Without pinned
// memory, or for more than uploadSize bytes, it copies directly, waiting
// for the stream. It runs inside do.
func (d *device) upload(dst uint64, src []byte) error {
	n := (len(src) + 15) &^ 15
	if d.uploads == nil && cuMemAllocHost(&d.uploads, uint64(uploadSize)) != 0 {
		d.uploads = nil
	}
	if d.uploads == nil || n > uploadSize {
		return check("cuMemcpyHtoD", cuMemcpyHtoD(dst, unsafe.Pointer(&src[0]), uint64(len(src))))
	}
	if d.upOff+n > uploadSize {
		if err := d.sync(); err != nil { // resets d.upOff
			return err
		}
	}
	p := unsafe.Add(d.uploads, d.upOff)
	copy(unsafe.Slice((*byte)(p), len(src)), src)
	d.upOff += n
	return check("cuMemcpyHtoDAsync", cuMemcpyHtoDAsync(dst, p, uint64(len(src)), d.stream))
}

// freeStaging releases the pinned buffers.
func (d *device) freeStaging() {
	if d.bounce != nil {
		cuMemFreeHost(d.bounce)
		d.bounce = nil
	}
	if d.uploads != nil {
		cuMemFreeHost(d.uploads)
		d.uploads = nil
	}
	if d.results != nil {
		cuMemFreeHost(d.results)
		d.results = nil
	}
	if d.ahead != nil {
		cuMemFreeHost(d.ahead)
		d.ahead, d.aheadSize = nil, 0
	}
	for i := range d.staging {
		st := &d.staging[i]
		if st.ev != 0 {
			cuEventDestroy(st.ev)
		}
		if st.p != nil {
			cuMemFreeHost(st.p)
		}
		*st = staged{}
	}
}
