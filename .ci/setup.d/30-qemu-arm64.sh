# qemu-user: runs the arm64 build of package cpu's kernel tests (its NEON
# assembly) on this amd64 machine; see cpu/emulated_test.go. Idempotent.
if ! command -v qemu-aarch64 >/dev/null 2>&1; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null
fi
export SILICA_QEMU_ARM64="$(command -v qemu-aarch64)"
