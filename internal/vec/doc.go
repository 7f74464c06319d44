// Package vec holds host loops in assembly that more than one package
// runs on plain slices: the cpu backend's scaling kernel and the store's
// per-row passes of an add (amd64 only). Callers check the CPU's
// features (internal/cpufeat) and keep their portable loops themselves.
package vec
