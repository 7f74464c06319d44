# Type-check every package as built for Apple Silicon (darwin/arm64, cgo),
# the Metal backend and darwinkit included, with go/types on this Linux
# machine (internal/tools/darwincheck). Fails on any type error.
set -euo pipefail
go run ./internal/tools/darwincheck -test ./...
# And the darwin build without cgo (cross-compiled, or CGO_ENABLED=0 on a
# Mac): metal/ must then build and register nothing.
GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go vet ./...
