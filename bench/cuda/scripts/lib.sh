# bench/cuda/scripts/lib.sh: what the runNN.sh scripts of the model
# carried in two parts share (sourced; see run15.sh's header for the
# build and the carries): lim, unpack (the gzipped binaries of .gpu into
# $G, the fortunes, the model's first part), model (the model assembled
# in /tmp/model and checked), storeprof.
set -o pipefail
T0=$SECONDS
OUT="${OUT:-$(mktemp -d)}"
G=/tmp/g
lim() { timeout -k 5 "$@"; }
export SILICA_CACHE_DIR=/tmp/sil-cache
export SILICA_PYTHON=/opt/torch/.venv/bin/python3 SILICA_TORCH_PYTHON=/opt/torch/.venv/bin/python3
unpack() {
	mkdir -p $G /usr/share/games
	for f in .gpu/*.gz; do
		b=$G/$(basename "$f" .gz)
		gunzip -c "$f" >"$b" && chmod +x "$b"
	done
	tar xzf .gpu/fort.tgz -C /usr/share/games
	[ ! -e .m1/model.part1 ] || cp .m1/model.part1 /tmp/
}
model() {
	mkdir -p /tmp/model && cp -r .m2/cfg/. /tmp/model/
	cat /tmp/model.part1 .m2/model.part2 >/tmp/model/model.safetensors
	[ "$(sha256sum /tmp/model/model.safetensors | cut -c1-64)" = "$(cat .m2/sha256)" ] || { echo "model checksum differs"; exit 1; }
}
# storeprof SEARCHES: cudabench -storeprof over 1M rows, float16 then
# float32, for the searches given (queries:k[:keep%];...).
storeprof() {
	for dt in fp16 fp32; do
		echo "== cudabench -storeprof $dt,1000000 ($((SECONDS - T0)) s)"
		lim 240 $G/cudabench -storeprof $dt,1000000 -reps 10 -storesearch "$1" 2>&1 | tee "$OUT/storeprof_$dt.log" | grep -v '^      '
	done
}
