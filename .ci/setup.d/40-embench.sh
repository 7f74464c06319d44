# embench's Python peers, installed into the CI venv made by 05-python.sh:
# NumPy (the seed's CPU column) and FAISS (IndexFlatIP / IndexFlatL2, the
# exact-search library a user would otherwise pick); for the encode
# scenarios ONNX Runtime (the CPU runtime Go's hugot library uses) and
# onnx, beside sentence-transformers and torch from
# 35-sentence-transformers.sh, which the peer's one-time export of the
# model to ONNX (torch.onnx.export) uses. cmd/embench finds them through
# SILICA_PYTHON. Idempotent: pip runs only when one does not import.
if ! "$SILICA_PYTHON" -c 'import numpy, faiss, onnxruntime, onnx' 2>/dev/null; then
	echo "40-embench: pip install numpy faiss-cpu onnxruntime onnx into $SILICA_VENV"
	"$SILICA_PYTHON" -m pip install -q numpy faiss-cpu onnxruntime onnx
fi
"$SILICA_PYTHON" -c 'import numpy, faiss, onnxruntime; print("embench peers: numpy", numpy.__version__, "faiss", faiss.__version__, "onnxruntime", onnxruntime.__version__)'
