// Package torchcompat will run engine plans on real libtorch (CPU, CUDA,
// MPS) through a small C++ shim loaded with purego (issue 7). Not built
// yet; registers nothing.
package torchcompat
