# One Python virtual environment for every test that needs Python packages
# (NumPy, MLX, FAISS...). Later setup scripts pip-install into it with
# "$SILICA_PYTHON" -m pip install ...; tests find it through SILICA_PYTHON.
SILICA_VENV="${SILICA_VENV:-$PWD/.venv-ci}"
if [ ! -x "$SILICA_VENV/bin/python" ]; then
	python3 -m venv "$SILICA_VENV"
	"$SILICA_VENV/bin/python" -m pip install -q --upgrade pip
fi
export SILICA_VENV
export SILICA_PYTHON="$SILICA_VENV/bin/python"
