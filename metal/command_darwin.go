//go:build cgo

package metal

import (
	"fmt"
	"unsafe"

	"github.com/progrium/darwinkit/macos/metal"
	"github.com/progrium/darwinkit/objc"
)

// run encodes the launches into one compute encoder of one command buffer,
// commits it and waits until it completes. The encoder is concurrent
// (MTLDispatchTypeConcurrent): dispatches may overlap unless a launch asks
// for a barrier (memoryBarrierWithScope: buffers), which the backend
// places where a launch depends on an earlier one. A command buffer that
// ends in error (a GPU fault, a timeout) is a Go error carrying Metal's
// description.
func (g *gpu) run(launches []launch) error {
	if len(launches) == 0 {
		return nil
	}
	var err error
	objc.WithAutoreleasePool(func() {
		cb := g.queue.CommandBuffer()
		if cb.IsNil() {
			err = fmt.Errorf("metal: commandBuffer failed")
			return
		}
		enc := cb.ComputeCommandEncoderWithDispatchType(metal.DispatchTypeConcurrent)
		if enc.IsNil() {
			err = fmt.Errorf("metal: computeCommandEncoder failed")
			return
		}
		for i := range launches {
			encode(enc, &launches[i])
		}
		metal.CommandEncoderObject{Object: enc.Object}.EndEncoding()
		cb.Commit()
		cb.WaitUntilCompleted()
		if st := cb.Status(); st != metal.CommandBufferStatusCompleted {
			err = fmt.Errorf("metal: command buffer of %d launches (%s...) ended with status %d: %w",
				len(launches), launches[0].name, st, orUnknown(nsError(cb.Error())))
		}
	})
	return err
}

// encode records one launch.
func encode(enc metal.ComputeCommandEncoderObject, l *launch) {
	if l.barrier {
		enc.MemoryBarrierWithScope(metal.BarrierScopeBuffers)
	}
	enc.SetComputePipelineState(l.pipe.(*mtlPipeline).state)
	for _, b := range l.binds {
		if b.buf == nil {
			// setBytes copies the bytes into the command buffer (up to 4 KB).
			enc.SetBytesLengthAtIndex(unsafe.Pointer(unsafe.SliceData(b.bytes)), uint(len(b.bytes)), uint(b.index))
			continue
		}
		mb := b.buf.(*mtlBuffer)
		enc.SetBufferOffsetAtIndex_(mb.obj, uint(mb.off+b.off), uint(b.index))
	}
	for i, n := range l.tgmem {
		if n > 0 {
			enc.SetThreadgroupMemoryLengthAtIndex(uint((n+15)&^15), uint(i)) // a multiple of 16 bytes
		}
	}
	if l.total != [3]int{} {
		// Non-uniform threadgroups: Apple GPUs (family Apple4 and later).
		enc.DispatchThreadsThreadsPerThreadgroup(size3(l.total), size3(l.threads))
		return
	}
	enc.DispatchThreadgroupsThreadsPerThreadgroup(size3(l.groups), size3(l.threads))
}

func size3(s [3]int) metal.Size {
	return metal.Size{Width: uint64(s[0]), Height: uint64(s[1]), Depth: uint64(s[2])}
}
