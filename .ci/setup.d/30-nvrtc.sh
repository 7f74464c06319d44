# NVRTC, the CUDA runtime compiler, from PyPI (no GPU or driver needed):
# the cuda package's TestCompileEveryVariant compiles every kernel with it,
# so a kernel that does not compile fails CI although CI has no GPU. The
# backend finds the library in the venv of SILICA_PYTHON. 13.0 matches the
# CUDA 13.0 of the H100 machine the kernels run on.
"$SILICA_PYTHON" -m pip install -q "nvidia-cuda-nvrtc==13.0.88"
