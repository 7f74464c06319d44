# Type-check every package as built for Apple Silicon (darwin/arm64, cgo),
# the Metal backend and darwinkit included, with go/types on this Linux
# machine (internal/tools/darwincheck). Fails on any type error.
set -euo pipefail
go run ./internal/tools/darwincheck ./...
