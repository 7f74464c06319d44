# The store's concurrency tests under the race detector: searches beside
# adds, upserts and deletes must show no data race and no torn read. -race
# needs cgo, which the Go toolchain here has (other builds use
# CGO_ENABLED=0).
set -euo pipefail
CGO_ENABLED=1 go test -race ./store/...
