package engine

import (
	"encoding/binary"
	"unsafe"
)

// littleEndian reports whether this machine stores numbers little-endian,
// as the engine's buffers hold them (amd64 and arm64 do): then float32,
// int32 and int64 slices move to and from bytes whole (asBytes), not an
// element at a time.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// asBytes returns the memory of v as bytes (no copy; the machine's byte
// order).
func asBytes[T float32 | int32 | int64](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(v[0])))
}
