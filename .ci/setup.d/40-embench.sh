# embench's Python peers: NumPy (the seed's CPU column) and FAISS
# (IndexFlatIP / IndexFlatL2, the exact-search library a user would
# otherwise pick), installed into the CI venv made by 05-python.sh.
# cmd/embench finds them through SILICA_PYTHON. Idempotent: pip skips what
# is already installed.
if ! "$SILICA_PYTHON" -c 'import numpy, faiss' 2>/dev/null; then
	"$SILICA_PYTHON" -m pip install -q numpy faiss-cpu
fi
"$SILICA_PYTHON" -c 'import numpy, faiss; print("embench peers: numpy", numpy.__version__, "faiss", faiss.__version__)'
