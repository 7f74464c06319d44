package store

import (
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// hostRows is the live rows of an arena on the host, in row order.
type hostRows struct {
	ids    []int64
	x      []byte // rows of Dim elements of the storage dtype
	scales []byte // float32 per row, int8 storage only
}

// readRows returns the live rows of a on the host: a's own host bytes when
// the store holds them and no row is dead (not a copy: callers must not
// write within them), else a copy (read from the device where the rows
// live there).
func readRows(a *rows) (hostRows, error) {
	if a.n() == 0 {
		return hostRows{}, nil
	}
	x, scales := a.host, a.hostScales
	if x == nil {
		var err error
		if x, err = a.x.Bytes(); err != nil {
			return hostRows{}, opErr(err, "read rows")
		}
		if a.scales != nil {
			if scales, err = a.scales.Bytes(); err != nil {
				return hostRows{}, opErr(err, "read scales")
			}
		}
	}
	h := hostRows{ids: a.ids, x: x, scales: scales}
	if a.ndead == 0 {
		return h, nil
	}
	rb := len(x) / a.n()
	out := hostRows{ids: make([]int64, 0, a.live()), x: make([]byte, 0, a.live()*rb)}
	if scales != nil {
		out.scales = make([]byte, 0, 4*a.live())
	}
	for r, id := range a.ids {
		if a.isDead(r) {
			continue
		}
		out.ids = append(out.ids, id)
		out.x = append(out.x, x[r*rb:(r+1)*rb]...)
		if scales != nil {
			out.scales = append(out.scales, scales[4*r:4*r+4]...)
		}
	}
	return out, nil
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

// uintptrOf returns the address of b's first byte (len(b) > 0), to test
// alignment before the backend views the bytes as wider elements.
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
