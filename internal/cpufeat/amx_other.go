//go:build !(linux && amd64)

package cpufeat

// EnableAMX reports false: the tile instructions are used on Linux on
// amd64 only, where the kernel grants their state on request.
func EnableAMX() bool { return false }
