package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/silica-go/silica/half"
)

// Array is a lazy handle on an n-dimensional array: a shape, a dtype, and
// either the node of the graph that will produce it or, once evaluated,
// a buffer on its engine's backend. Arrays are immutable; ops return new
// arrays. An Array may be used from several goroutines.
type Array struct {
	e     *Engine
	shape Shape
	dtype DType

	// Guarded by e.mu: exactly one of node and data is set, until Free.
	node *node
	out  int // which output of node
	data *storage
}

// storage is one array's hold on a backend buffer. It is released by
// Array.Free, or, as a safety net, when its array is collected. Several
// arrays may share a buffer (Array.Head): each has its own storage, and
// the buffer is freed when the last of them is released.
type storage struct {
	once  sync.Once
	b     Backend
	buf   Buffer
	holds *atomic.Int32 // the storages sharing buf not yet released
}

func (s *storage) release() {
	s.once.Do(func() {
		if s.holds.Add(-1) == 0 {
			s.b.Free(s.buf)
		}
		s.buf = nil
	})
}

// node is one operation of the graph. Nodes are immutable once built.
type node struct {
	op     Op
	attrs  Attrs
	inputs []*Array
	types  []valueType           // shape and dtype of each output
	outs   []weak.Pointer[Array] // the arrays this node produces
}

type valueType struct {
	shape Shape
	dtype DType
}

// Shape returns a copy of the array's dimensions.
func (a *Array) Shape() Shape { return a.shape.Clone() }

// DType returns the element type.
func (a *Array) DType() DType { return a.dtype }

// Size returns the number of elements.
func (a *Array) Size() int { return a.shape.Size() }

// Engine returns the engine the array belongs to.
func (a *Array) Engine() *Engine { return a.e }

func (a *Array) String() string {
	return fmt.Sprintf("Array(%s %s)", a.dtype, a.shape)
}

// Evaluated reports whether the array's value has been computed.
func (a *Array) Evaluated() bool {
	a.e.mu.Lock()
	defer a.e.mu.Unlock()
	return a.data != nil
}

// Eval computes the array (see Engine.Eval).
func (a *Array) Eval() error { return a.e.Eval(a) }

// Free releases the array's device memory now rather than when the array
// is collected. The array must not be used afterwards; arrays computed
// from it earlier keep their own values.
func (a *Array) Free() {
	a.e.mu.Lock()
	s := a.data
	a.data, a.node = nil, nil
	a.e.mu.Unlock()
	if s != nil {
		s.release()
	}
}

// Bytes evaluates the array and returns its elements as little-endian
// bytes in C order.
func (a *Array) Bytes() ([]byte, error) {
	out := make([]byte, a.Size()*a.dtype.Size())
	if err := a.readInto(out); err != nil {
		return nil, err
	}
	return out, nil
}

// readInto evaluates the array and reads its elements, as little-endian
// bytes in C order, into out (a.Size() elements' bytes).
func (a *Array) readInto(out []byte) error {
	if err := a.e.Eval(a); err != nil {
		return err
	}
	a.e.mu.Lock()
	defer a.e.mu.Unlock()
	if a.data == nil {
		return errFreed(a)
	}
	if err := a.e.b.Read(a.data.buf, 0, out); err != nil {
		return fmt.Errorf("engine: read %s: %w", a, err)
	}
	return nil
}

func errFreed(a *Array) error { return fmt.Errorf("engine: %s was freed", a) }

// Float32 evaluates the array and returns its elements as float32 (exact
// for float16 and bfloat16; Int8 is returned as its integers, unscaled).
// A float32 array is read straight into the result, with no second copy.
func (a *Array) Float32() ([]float32, error) { return a.AppendFloat32(make([]float32, 0, a.Size())) }

// AppendFloat32 is Float32 appending the elements to dst, in dst's spare
// capacity when it has room: a caller that reads results often can keep
// one buffer and skip a fresh slice each time (the zeroing and page
// faults of a large one cost more than the read). On error dst is
// returned unchanged.
func (a *Array) AppendFloat32(dst []float32) ([]float32, error) {
	if a.dtype == Float32 && littleEndian {
		out := slices.Grow(dst, a.Size())[:len(dst)+a.Size()]
		if err := a.readInto(asBytes(out[len(dst):])); err != nil {
			return dst, err
		}
		return out, nil
	}
	raw, err := a.Bytes()
	if err != nil {
		return dst, err
	}
	return append(dst, DecodeFloat32(a.dtype, raw)...), nil
}

// Int64 evaluates an Int32 or Int64 array and returns its elements; an
// Int64 array is read straight into the result.
func (a *Array) Int64() ([]int64, error) { return a.AppendInt64(make([]int64, 0, a.Size())) }

// AppendInt64 is Int64 appending the elements to dst, in dst's spare
// capacity when it has room (see AppendFloat32). On error dst is
// returned unchanged.
func (a *Array) AppendInt64(dst []int64) ([]int64, error) {
	if !a.dtype.IsIndex() && a.dtype != Int8 {
		return dst, fmt.Errorf("engine: Int64 of a %s array; cast it first", a.dtype)
	}
	full := slices.Grow(dst, a.Size())[:len(dst)+a.Size()]
	out := full[len(dst):]
	if a.dtype == Int64 && littleEndian {
		if err := a.readInto(asBytes(out)); err != nil {
			return dst, err
		}
		return full, nil
	}
	raw, err := a.Bytes()
	if err != nil {
		return dst, err
	}
	switch a.dtype {
	case Int64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	case Int32:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	default: // Int8
		for i := range out {
			out[i] = int64(int8(raw[i]))
		}
	}
	return full, nil
}

// DecodeFloat32 converts little-endian elements of dtype dt to float32.
func DecodeFloat32(dt DType, raw []byte) []float32 {
	n := len(raw) / dt.Size()
	out := make([]float32, n)
	switch dt {
	case Float32:
		if littleEndian {
			copy(asBytes(out), raw)
			break
		}
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case Float16:
		half.DecodeFloat16(out, raw)
	case BFloat16:
		half.DecodeBFloat16(out, raw)
	case Int8:
		for i := range out {
			out[i] = float32(int8(raw[i]))
		}
	case Int32:
		for i := range out {
			out[i] = float32(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case Int64:
		for i := range out {
			out[i] = float32(int64(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	}
	return out
}

// EncodeFloat32 converts float32 values to little-endian elements of a
// float dtype dt (rounding to nearest even for the 16-bit types).
func EncodeFloat32(dt DType, src []float32) ([]byte, error) {
	out := make([]byte, len(src)*dt.Size())
	switch dt {
	case Float32:
		if littleEndian {
			copy(out, asBytes(src))
			break
		}
		for i, f := range src {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(f))
		}
	case Float16:
		if len(src) > 0 {
			half.EncodeFloat16(out, src)
		}
	case BFloat16:
		if len(src) > 0 {
			half.EncodeBFloat16(out, src)
		}
	default:
		return nil, fmt.Errorf("engine: cannot encode float32 values as %s", dt)
	}
	return out, nil
}

// materialize gives a its buffer. Called with e.mu held.
func (a *Array) materialize(buf Buffer) {
	holds := new(atomic.Int32)
	holds.Store(1)
	s := &storage{b: a.e.b, buf: buf, holds: holds}
	a.data, a.node = s, nil
	runtime.AddCleanup(a, func(s *storage) { s.release() }, s)
}

// newLazy makes the outputs of a new node.
func (e *Engine) newLazy(op Op, attrs Attrs, inputs []*Array, shapes []Shape, dtypes []DType) []*Array {
	n := &node{op: op, attrs: attrs, inputs: inputs}
	outs := make([]*Array, len(shapes))
	for i := range shapes {
		outs[i] = &Array{e: e, shape: shapes[i], dtype: dtypes[i], node: n, out: i}
		n.types = append(n.types, valueType{shapes[i], dtypes[i]})
		n.outs = append(n.outs, weak.Make(outs[i]))
	}
	return outs
}

var errNilArray = errors.New("engine: nil array")

// sameEngine checks that every input exists and belongs to one engine.
func sameEngine(op string, in ...*Array) (*Engine, error) {
	var e *Engine
	for i, a := range in {
		if a == nil {
			return nil, fmt.Errorf("engine: %s: input %d: %w", op, i, errNilArray)
		}
		if e == nil {
			e = a.e
		} else if a.e != e {
			return nil, fmt.Errorf("engine: %s: inputs belong to different engines (%s and %s)", op, e.name, a.e.name)
		}
	}
	return e, nil
}
