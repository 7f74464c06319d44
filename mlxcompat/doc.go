// Package mlxcompat will run engine plans on real MLX through a small C++
// shim loaded with purego (issue 7). Not built yet; registers nothing.
package mlxcompat
