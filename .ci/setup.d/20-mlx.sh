# MLX for mlxcompat's tests: the mlx front end and its Linux CPU backend
# wheel (mlx-cpu ships libmlx and the C++ headers under
# site-packages/mlx), from PyPI into the CI venv of 05-python.sh. The test
# finds it through SILICA_PYTHON and compiles its shim against it (g++
# comes with 21-libtorch.sh). Idempotent: skipped when the headers are
# there.
if ! "$SILICA_PYTHON" - <<'PY' 2>/dev/null; then
import importlib.util as u, os, sys
s = u.find_spec("mlx")
sys.exit(0 if s and os.path.exists(os.path.join(list(s.submodule_search_locations)[0], "include", "mlx", "mlx.h")) else 1)
PY
	"$SILICA_PYTHON" -m pip install -q "mlx[cpu]"
fi
