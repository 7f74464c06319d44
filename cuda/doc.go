// Package cuda will be Silica's NVIDIA backend: CUDA C kernels compiled by
// NVRTC, driver API loaded with purego, no cgo. Not built yet (issue 6);
// until then it registers nothing.
package cuda
