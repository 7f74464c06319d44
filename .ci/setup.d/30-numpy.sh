# NumPy in the CI venv (05-python.sh), for the store's interop tests:
# numpy.save -> silica import -> numpy.load (cmd/silica).
if ! "$SILICA_PYTHON" -c 'import numpy' 2>/dev/null; then
	"$SILICA_PYTHON" -m pip install -q numpy
fi
"$SILICA_PYTHON" -c 'import numpy; print("numpy", numpy.__version__)'
