# libtorch (CPU) for torchcompat's tests, and the C++ compiler that builds
# both compat shims: Debian's libtorch-dev (1.13.1, CPU only; headers in
# /usr/include, libraries in /usr/lib/x86_64-linux-gnu): about 160 MB to
# download, about 30 s to install. libopenblas0-pthread gives it a real
# BLAS: without it Debian's libtorch uses the reference BLAS, and a
# 1024^3 float32 product takes 12 times longer.
#
# PyPI's torch was not chosen: its default Linux wheel (torch 2.15: 540 MB)
# pulls 15 CUDA wheels (nvidia-cudnn-cu13, nvidia-cublas, nccl, ...:
# several GB), and the CPU-only wheels live on PyTorch's own package
# index, which CI cannot reach.
#
# Idempotent: skipped when all three are installed.
if ! dpkg -s libtorch-dev libopenblas0-pthread >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libtorch-dev libopenblas0-pthread g++ >/dev/null
fi
