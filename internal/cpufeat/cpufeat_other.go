//go:build !amd64 && !arm64

package cpufeat

// detect finds nothing: the kernels use portable Go on this architecture.
func detect() {}
