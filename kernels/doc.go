// Package kernels will hold the kernel sources (MSL and CUDA C, embedded)
// and their manifests, with the harness that runs the MSL kernels on the
// CPU (issue 4). Not built yet.
package kernels
