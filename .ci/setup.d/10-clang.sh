# clang for the MSL harness (kernels/msltest): the Metal kernels are
# compiled as C++ by clang against kernels/msltest's metal_stdlib subset
# and run on the CPU. clang 15 is the first with _Float16 (MSL half) on
# x86-64. Exports SILICA_CLANG, the compiler the harness runs.
if ! command -v clang++-15 >/dev/null 2>&1; then
	if [ -z "${SILICA_APT_UPDATED:-}" ]; then
		apt-get update -qq
		export SILICA_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-15 >/dev/null
fi
export SILICA_CLANG="$(command -v clang++-15)"
