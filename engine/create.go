package engine

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// FromFloat32 makes a Float32 array of the given shape from data (copied),
// which must hold exactly shape.Size() values.
func (e *Engine) FromFloat32(data []float32, shape ...int) (*Array, error) {
	return e.FromFloat32As(data, Float32, shape...)
}

// FromFloat32As makes an array of float dtype dt from float32 data,
// converting on the host (rounding to nearest even).
func (e *Engine) FromFloat32As(data []float32, dt DType, shape ...int) (*Array, error) {
	if !dt.IsFloat() {
		return nil, fmt.Errorf("engine: FromFloat32As: %s is not a float dtype", dt)
	}
	if err := checkLen("FromFloat32", len(data), shape); err != nil {
		return nil, err
	}
	if dt == Float32 && littleEndian {
		return e.upload(asBytes(data), dt, shape, false) // copied by the backend's Write
	}
	raw, err := EncodeFloat32(dt, data)
	if err != nil {
		return nil, err
	}
	return e.upload(raw, dt, shape, false)
}

// FromInt64 makes an Int64 array (for example gather indices or ids).
func (e *Engine) FromInt64(data []int64, shape ...int) (*Array, error) {
	if err := checkLen("FromInt64", len(data), shape); err != nil {
		return nil, err
	}
	if littleEndian {
		return e.upload(asBytes(data), Int64, shape, false)
	}
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return e.upload(raw, Int64, shape, false)
}

// FromInt32 makes an Int32 array.
func (e *Engine) FromInt32(data []int32, shape ...int) (*Array, error) {
	if err := checkLen("FromInt32", len(data), shape); err != nil {
		return nil, err
	}
	if littleEndian {
		return e.upload(asBytes(data), Int32, shape, false)
	}
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], uint32(v))
	}
	return e.upload(raw, Int32, shape, false)
}

// FromBytes makes an array from little-endian elements of dtype dt in C
// order, copying them to the device.
func (e *Engine) FromBytes(data []byte, dt DType, shape ...int) (*Array, error) {
	if dt.Size() == 0 {
		return nil, fmt.Errorf("engine: FromBytes: invalid dtype %s", dt)
	}
	if len(data)%dt.Size() != 0 {
		return nil, fmt.Errorf("engine: FromBytes: %d bytes is not a whole number of %s elements", len(data), dt)
	}
	if err := checkLen("FromBytes", len(data)/dt.Size(), shape); err != nil {
		return nil, err
	}
	return e.upload(data, dt, shape, false)
}

// FromBytesNoCopy is FromBytes without a copy where the backend can use
// host memory in place (HostWrapper: the CPU, Apple's unified memory), for
// example a memory-mapped file. data must then stay valid and unchanged
// for the life of the array. Other backends copy.
func (e *Engine) FromBytesNoCopy(data []byte, dt DType, shape ...int) (*Array, error) {
	if dt.Size() == 0 {
		return nil, fmt.Errorf("engine: FromBytesNoCopy: invalid dtype %s", dt)
	}
	if len(data)%dt.Size() != 0 {
		return nil, fmt.Errorf("engine: FromBytesNoCopy: %d bytes is not a whole number of %s elements", len(data), dt)
	}
	if err := checkLen("FromBytesNoCopy", len(data)/dt.Size(), shape); err != nil {
		return nil, err
	}
	return e.upload(data, dt, shape, true)
}

// Zeros makes an array of zeros.
func (e *Engine) Zeros(dt DType, shape ...int) (*Array, error) {
	return e.Full(0, dt, shape...)
}

// Full makes an array with every element v (converted to dt).
func (e *Engine) Full(v float64, dt DType, shape ...int) (*Array, error) {
	if err := checkShape("Full", shape); err != nil {
		return nil, err
	}
	n := Shape(shape).Size()
	return e.fill(dt, shape, func(int) float64 { return v }, n)
}

// RandomNormal makes an array of standard normal samples from a PCG
// generator seeded with seed: the same seed gives the same values on every
// backend.
func (e *Engine) RandomNormal(seed uint64, dt DType, shape ...int) (*Array, error) {
	if err := checkShape("RandomNormal", shape); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0x5111ca))
	return e.fill(dt, shape, func(int) float64 { return r.NormFloat64() }, Shape(shape).Size())
}

// RandomUniform makes an array of samples uniform in [lo, hi).
func (e *Engine) RandomUniform(seed uint64, lo, hi float64, dt DType, shape ...int) (*Array, error) {
	if err := checkShape("RandomUniform", shape); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0x5111cb))
	return e.fill(dt, shape, func(int) float64 { return lo + (hi-lo)*r.Float64() }, Shape(shape).Size())
}

func (e *Engine) fill(dt DType, shape []int, f func(int) float64, n int) (*Array, error) {
	raw := make([]byte, n*dt.Size())
	switch {
	case dt.IsFloat():
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(f(i))
		}
		enc, err := EncodeFloat32(dt, v)
		if err != nil {
			return nil, err
		}
		raw = enc
	case dt == Int8:
		for i := range n {
			raw[i] = byte(int8(max(-128, min(127, math.Round(f(i))))))
		}
	case dt == Int32:
		for i := range n {
			binary.LittleEndian.PutUint32(raw[4*i:], uint32(int32(f(i))))
		}
	case dt == Int64:
		for i := range n {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(int64(f(i))))
		}
	default:
		return nil, fmt.Errorf("engine: invalid dtype %s", dt)
	}
	return e.upload(raw, dt, shape, false)
}

func checkLen(op string, n int, shape []int) error {
	if err := checkShape(op, shape); err != nil {
		return err
	}
	if want := Shape(shape).Size(); n != want {
		return fmt.Errorf("engine: %s: %d values for shape %v (%d elements)", op, n, Shape(shape), want)
	}
	return nil
}

// upload makes a materialized array holding raw.
func (e *Engine) upload(raw []byte, dt DType, shape []int, noCopy bool) (*Array, error) {
	return e.uploadWith(dt, shape, func() (Buffer, error) {
		if hw, ok := e.b.(HostWrapper); ok && noCopy {
			return hw.WrapHost(raw)
		}
		return e.written(len(raw), func(buf Buffer) error { return e.b.Write(buf, 0, raw) })
	})
}

// uploadWith makes a materialized array of the buffer that newBuf
// returns, called with e.mu held.
func (e *Engine) uploadWith(dt DType, shape []int, newBuf func() (Buffer, error)) (*Array, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errClosed
	}
	buf, err := newBuf()
	if err != nil {
		return nil, fmt.Errorf("engine: upload %s %v: %w", dt, Shape(shape), err)
	}
	a := &Array{e: e, shape: Shape(shape).Clone(), dtype: dt}
	a.materialize(buf)
	return a, nil
}

// written returns a new buffer of n bytes that write filled (freed if
// write fails).
func (e *Engine) written(n int, write func(Buffer) error) (Buffer, error) {
	buf, err := e.b.Alloc(n)
	if err != nil {
		return nil, err
	}
	if err := write(buf); err != nil {
		e.b.Free(buf)
		return nil, err
	}
	return buf, nil
}
