//go:build cgo

package metal

import (
	"fmt"
	"unsafe"

	"github.com/progrium/darwinkit/macos/foundation"
	"github.com/progrium/darwinkit/macos/metal"
	"github.com/progrium/darwinkit/objc"
)

// mtlPipeline is a compute pipeline state.
type mtlPipeline struct {
	state metal.ComputePipelineStateObject
	max   int
}

func (p *mtlPipeline) maxThreads() int { return p.max }

// library compiles MSL source with newLibraryWithSource:options:error:
// (https://developer.apple.com/documentation/metal/mtldevice/1433431-newlibrarywithsource).
// Fast math is off: the kernels rely on IEEE NaN and infinity semantics
// (NaN ranks last in top-k, max/min propagate NaN). A compile error names
// the source and carries the compiler's message with its line numbers.
func (g *gpu) library(name, source string) (library, error) {
	var lib metal.LibraryObject
	var err error
	objc.WithAutoreleasePool(func() {
		opts := metal.NewCompileOptions()
		opts.SetFastMathEnabled(false)
		var nsErr foundation.Error
		lib = g.dev.NewLibraryWithSourceOptionsError(source, opts, unsafe.Pointer(&nsErr))
		if lib.IsNil() {
			err = fmt.Errorf("metal: compiling %s: %w", name, orUnknown(nsError(nsErr)))
		}
	})
	if err != nil {
		return nil, err
	}
	g.libs = append(g.libs, lib)
	return lib, nil
}

// pipeline builds the compute pipeline of function fn of lib
// (newFunctionWithName:constantValues:error: with no constants, which
// reports a missing function as an error, then
// newComputePipelineStateWithFunction:error:).
func (g *gpu) pipeline(l library, fn string) (pipeline, error) {
	lib := l.(metal.LibraryObject)
	var p *mtlPipeline
	var err error
	objc.WithAutoreleasePool(func() {
		values := metal.NewFunctionConstantValues()
		var nsErr foundation.Error
		f := lib.NewFunctionWithNameConstantValuesError(fn, values, unsafe.Pointer(&nsErr))
		if f.IsNil() {
			err = fmt.Errorf("metal: kernel %s: %w", fn, orUnknown(nsError(nsErr)))
			return
		}
		defer f.Release()
		nsErr = foundation.Error{}
		st := g.dev.NewComputePipelineStateWithFunctionError(f, unsafe.Pointer(&nsErr))
		if st.IsNil() {
			err = fmt.Errorf("metal: kernel %s: pipeline: %w", fn, orUnknown(nsError(nsErr)))
			return
		}
		p = &mtlPipeline{state: st, max: int(st.MaxTotalThreadsPerThreadgroup())}
		g.pipes = append(g.pipes, st)
	})
	return p, err
}

func orUnknown(err error) error {
	if err == nil {
		return fmt.Errorf("no error reported")
	}
	return err
}
