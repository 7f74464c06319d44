package store

import (
	"encoding/binary"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// hostSegment is a segment's rows on the host.
type hostSegment struct {
	rowBytes int
	ids      []int64
	x        []byte // rows of rowBytes bytes
	scales   []byte // float32 per row, int8 storage only
}

func (h *hostSegment) appendRow(src hostSegment, r int) {
	h.ids = append(h.ids, src.ids[r])
	h.x = append(h.x, src.x[r*h.rowBytes:(r+1)*h.rowBytes]...)
	if src.scales != nil {
		h.scales = append(h.scales, src.scales[4*r:4*r+4]...)
	}
}

// hostRows returns the live rows of g on the host: g's own host bytes when
// the store holds them (not a copy: callers must not write within them),
// else read from the device.
func hostRows(g *segment) (hostSegment, error) {
	x, scales := g.host, g.hostScales
	if x == nil {
		var err error
		if x, err = g.x.Bytes(); err != nil {
			return hostSegment{}, opErr(err, "read segment")
		}
		if g.scales != nil {
			if scales, err = g.scales.Bytes(); err != nil {
				return hostSegment{}, opErr(err, "read segment scales")
			}
		}
	}
	h := hostSegment{rowBytes: len(x) / g.n(), ids: g.ids, x: x, scales: scales}
	if g.ndead == 0 {
		return h, nil
	}
	out := hostSegment{rowBytes: h.rowBytes}
	for r := range g.ids {
		if !g.isDead(r) {
			out.appendRow(h, r)
		}
	}
	return out, nil
}

// fromHost makes a segment of rows on the host. On backends that use host
// memory in place (the CPU) the arrays wrap h's bytes, which the segment
// keeps; others copy them to the device.
func (s *Store) fromHost(h hostSegment) (*segment, error) {
	n := len(h.ids)
	x, wrapped, err := wrap(s.e, s.inPlace, h.x, s.cfg.dtype, n, s.cfg.dim)
	if err != nil {
		return nil, opErr(err, "upload %d rows", n)
	}
	g := &segment{x: x, ids: h.ids}
	scWrapped := true
	if h.scales != nil {
		if g.scales, scWrapped, err = wrap(s.e, s.inPlace, h.scales, engine.Float32, n); err != nil {
			x.Free()
			return nil, opErr(err, "upload %d scales", n)
		}
	}
	if wrapped && scWrapped {
		g.host, g.hostScales = h.x, h.scales
	}
	return g, nil
}

// wrap makes an array over data: in place where the backend uses host
// memory (inPlace), the data is aligned for any element type and the
// backend accepts it (Metal wants whole pages, for one); else a copy.
// wrapped reports which.
func wrap(e *engine.Engine, inPlace bool, data []byte, dt engine.DType, shape ...int) (a *engine.Array, wrapped bool, err error) {
	if inPlace && len(data) > 0 && uintptrOf(data)%8 == 0 {
		if a, err := e.FromBytesNoCopy(data, dt, shape...); err == nil {
			return a, true, nil
		}
	}
	a, err = e.FromBytes(data, dt, shape...)
	return a, false, err
}

// appendable reports whether b can be merged into a by appending: the
// store holds both on the host, neither has dead rows, and b's ids follow
// a's.
func appendable(a, b *segment) bool {
	return a.host != nil && b.host != nil && a.ndead == 0 && b.ndead == 0 && a.ids[a.n()-1] < b.ids[0]
}

// merge returns the live rows of a and b as one segment in id order, built
// on the host (the engine has no concatenation). When b's ids follow a's,
// b is appended to a's rows: in place in the spare capacity of bytes the
// store holds (a is retired by the merge, and its arrays see only its own
// length), so that a run of appends copies each row about twice.
func (s *Store) merge(a, b *segment) (*segment, error) {
	ha, err := hostRows(a)
	if err != nil {
		return nil, err
	}
	hb, err := hostRows(b)
	if err != nil {
		return nil, err
	}
	if ha.ids[len(ha.ids)-1] < hb.ids[0] {
		limit := s.cfg.segRows
		return s.fromHost(hostSegment{
			rowBytes: ha.rowBytes,
			ids:      appendGrow(ha.ids, hb.ids, limit),
			x:        appendGrow(ha.x, hb.x, limit*ha.rowBytes),
			scales:   appendGrow(ha.scales, hb.scales, 4*limit),
		})
	}
	n := len(ha.ids) + len(hb.ids)
	rb := ha.rowBytes
	m := hostSegment{rowBytes: rb, ids: make([]int64, 0, n), x: make([]byte, 0, n*rb)}
	if a.scales != nil {
		m.scales = make([]byte, 0, 4*n)
	}
	i, j := 0, 0
	for i < len(ha.ids) || j < len(hb.ids) {
		src, r := ha, &i
		if i == len(ha.ids) || (j < len(hb.ids) && hb.ids[j] < ha.ids[i]) {
			src, r = hb, &j
		}
		m.appendRow(src, *r)
		*r++
	}
	return s.fromHost(m)
}

// appendGrow appends b to a, in a's spare capacity when it fits, else in a
// new array of twice the length (at most limit elements, a segment's
// worth), so that repeated appends copy each element about twice.
func appendGrow[T any](a, b []T, limit int) []T {
	if a == nil && b == nil {
		return nil
	}
	n := len(a) + len(b)
	if n <= cap(a) {
		return append(a, b...)
	}
	out := make([]T, n, max(n, min(2*n, limit)))
	copy(out, a)
	copy(out[len(a):], b)
	return out
}

// float32Bytes returns f's memory as bytes when the machine is
// little-endian (the layout of '<f4' and of engine arrays), else an
// encoded copy.
func float32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
	}
	b, _ := engine.EncodeFloat32(engine.Float32, f)
	return b
}

// littleEndian reports whether the machine stores numbers little-endian.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// uintptrOf returns the address of b's first byte (len(b) > 0), to test
// alignment before the backend views the bytes as wider elements.
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
