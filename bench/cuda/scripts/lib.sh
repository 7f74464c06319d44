# bench/cuda/scripts/lib.sh: what the runNN.sh scripts of the model
# carried in two parts share (sourced; see run15.sh's header for the
# build and the carries): lim, unpack (the gzipped binaries of .gpu into
# $G, the fortunes and the model's first part where carried), model (the model assembled
# in /tmp/model and checked), storeprof, gpu_tests (a test binary's
# tests, logged and counted), store1m (embench's 1M-row store beside plain
# PyTorch), store_at_k and exact64 (the same at a given k for 64 and
# 1024 queries; cmd/exactcheck), seed1m and enc100k (the encoder's
# scenarios over short documents), hostprof (the store's host profile),
# firstuse (cudabench -storefirst: a fresh process's first search).
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
		[ -e "$f" ] || continue
		b=$G/$(basename "$f" .gz)
		gunzip -c "$f" >"$b" && chmod +x "$b"
	done
	# xz packs the binaries a quarter smaller, for a carry near its limit.
	for f in .gpu/*.xz; do
		[ -e "$f" ] || continue
		b=$G/$(basename "$f" .xz)
		"$SILICA_PYTHON" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$f" "$b" && chmod +x "$b"
	done
	[ ! -e .gpu/fort.tgz ] || tar xzf .gpu/fort.tgz -C /usr/share/games
	[ ! -e .m1/model.part1 ] || cp .m1/model.part1 /tmp/
}
model() {
	mkdir -p /tmp/model && cp -r .m2/cfg/. /tmp/model/
	cat /tmp/model.part1 .m2/model.part2 >/tmp/model/model.safetensors
	[ "$(sha256sum /tmp/model/model.safetensors | cut -c1-64)" = "$(cat .m2/sha256)" ] || { echo "model checksum differs"; exit 1; }
}
# storeprof_rounds LIMIT REPS SEARCHES PATTERN STOP BIN...: cudabench
# -storeprof of each binary given, in order, over 1M float16 then float32
# rows for SEARCHES (queries:k;...), appended to $OUT/storeprof.log, its
# lines matching PATTERN printed; none starts STOP seconds or more into
# the script.
storeprof_rounds() {
	local limit=$1 reps=$2 searches=$3 pattern=$4 stop=$5 bin dt
	shift 5
	for bin in "$@"; do
		for dt in fp16 fp32; do
			[ $((SECONDS - T0)) -lt "$stop" ] || return 0
			echo "== $bin -storeprof $dt ($((SECONDS - T0)) s)" | tee -a "$OUT/storeprof.log"
			lim "$limit" $G/$bin -storeprof $dt,1000000 -reps "$reps" -storesearch "$searches" 2>&1 | tee -a "$OUT/storeprof.log" |
				grep -E "$pattern"
		done
	done
}
# storeprof SEARCHES: cudabench -storeprof over 1M rows, float16 then
# float32, for the searches given (queries:k[:keep%];...).
storeprof() {
	for dt in fp16 fp32; do
		echo "== cudabench -storeprof $dt,1000000 ($((SECONDS - T0)) s)"
		lim 240 $G/cudabench -storeprof $dt,1000000 -reps 10 -storesearch "$1" 2>&1 | tee "$OUT/storeprof_$dt.log" | grep -v '^      '
	done
}
# gpu_tests NAME LIMIT PATTERN [ENV=VALUE...]: runs $G/NAME.test -test.run
# PATTERN in the package folder NAME with the environment given, logs to
# $OUT/NAME_tests.log and prints its failures and counts.
gpu_tests() {
	local name=$1 limit=$2 pattern=$3 log="$OUT/$1_tests.log"
	shift 3
	(cd "$name" && env "$@" timeout -k 5 "$limit" "$G/$name.test" -test.v -test.run "$pattern" >"$log" 2>&1; echo "rc $?" >>"$log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc |^    --- FAIL' "$log" | head -20
	echo "$name tests: $(grep -c -- '--- PASS' "$log") pass, $(grep -c -- '--- FAIL' "$log") fail, $(grep -c -- '--- SKIP' "$log") skip"
}
# gpu_checks CUDA_LIMIT CUDA_PATTERN STORE_LIMIT STORE_PATTERN: the GPU
# tests of ./cuda, then the store's on cuda (gpu_tests).
gpu_checks() {
	echo "== go test ./cuda ($((SECONDS - T0)) s)"
	gpu_tests cuda "$1" "$2"
	echo "== store on cuda ($((SECONDS - T0)) s)"
	gpu_tests store "$3" "$4" SILICA_STORE_BACKENDS=cuda
}
# store1m LIMIT [EMBENCH FLAGS...]: embench's 1M-row store on cuda beside
# plain PyTorch into $OUT/store.{md,json,err}.
store1m() {
	local limit=$1
	shift
	lim "$limit" $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s \
		--scenario store_add,store_search_1,store_search_64,store_search_1024,store_search_8_k1000,store_search_8_k4096 \
		--json "$OUT/store.json" "$@" >"$OUT/store.md" 2>"$OUT/store.err"
	echo "store rc $? ($((SECONDS - T0)) s)"
	grep -E '^\|' "$OUT/store.md" | head -40
	tail -3 "$OUT/store.err"
}
# store1m_rest END: store1m in the time left until END seconds into the
# script, when at least 100 s are.
store1m_rest() {
	local left=$(($1 - (SECONDS - T0)))
	echo "== embench store, 1M rows ($((SECONDS - T0)) s, $left s left)"
	[ $left -gt 100 ] && store1m $left
}
# seed1m LIMIT [EMBENCH FLAGS...]: the seed's scenario, embench's
# encode_store over 1,000,000 short documents in float16 (the model in
# /tmp/model), into $OUT/seed1m.{md,json,err}.
seed1m() {
	local limit=$1
	shift
	echo "== embench encode_store, 1M lines, float16 ($((SECONDS - T0)) s)"
	lim "$limit" $G/embench --backend cuda --peers none --scenario encode_store --text-kind lines --texts 1000000 --text-queries 16 \
		--dtypes float16 --model /tmp/model "$@" --json "$OUT/seed1m.json" >"$OUT/seed1m.md" 2>"$OUT/seed1m.err"
	echo "seed rc $? ($((SECONDS - T0)) s)"
	grep -E '^\|' "$OUT/seed1m.md" | tail -4
	tail -3 "$OUT/seed1m.err"
}
# enc100k LIMIT [EMBENCH FLAGS...]: embench's encode over 100,000 short
# documents in float16 beside sentence-transformers on the same card,
# into $OUT/enc100k.{md,json,err}.
enc100k() {
	local limit=$1
	shift
	echo "== embench encoder, 100K lines, beside sentence-transformers ($((SECONDS - T0)) s)"
	lim "$limit" $G/embench --backend cuda --peers sentence-transformers --torch-device cuda --scenario encode \
		--text-kind lines --texts 100000 --dtypes float16 --model /tmp/model "$@" --json "$OUT/enc100k.json" >"$OUT/enc100k.md" 2>"$OUT/enc100k.err"
	echo "encode rc $? ($((SECONDS - T0)) s)"
	grep -E '^\|' "$OUT/enc100k.md" | tail -6
	tail -3 "$OUT/enc100k.err"
}
# hostprof LIMIT: cudabench -storeprof over 1M float16 rows at k = 4096,
# 1000 and 64 queries with a Go CPU profile of the host, into
# $OUT/host_fp16.prof and $OUT/storeprof_fp16.log.
hostprof() {
	echo "== storeprof fp16 k=4096 ($((SECONDS - T0)) s)"
	lim "$1" $G/cudabench -storeprof fp16,1000000 -reps 200 -storesearch "8:4096;8:1000;64:100" -cpuprofile "$OUT/host_fp16.prof" 2>&1 |
		tee "$OUT/storeprof_fp16.log" | grep -v '^      '
}
# gpuinfo: the GPU's name, driver, clocks and temperature into $OUT/gpu.txt.
gpuinfo() {
	nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv >"$OUT/gpu.txt" 2>&1
	head -2 "$OUT/gpu.txt"
}
# encode5k LIMIT: embench's encoder scenarios over 5,000 fortunes on cuda
# beside sentence-transformers on the same card (the model in /tmp/model)
# into $OUT/encode5k.{md,json,err}.
encode5k() {
	lim "$1" $G/embench --backend cuda --peers sentence-transformers --torch-device cuda --scenario encoder --texts 5000 \
		--dtypes float32,float16 --model /tmp/model --json "$OUT/encode5k.json" >"$OUT/encode5k.md" 2>"$OUT/encode5k.err"
	echo "encode rc $?"
	grep -E '^\|' "$OUT/encode5k.md" | tail -10
}
# store_at_k END K...: embench's 1M-row store on cuda beside plain
# PyTorch, the batches of BATCHES (default 64,1024) at each k, into
# $OUT/storeTAG_kK.{md,json} (and .err when embench fails), while END
# seconds into the script are not near; EMBENCH names another embench
# binary of $G (a build of an earlier commit, TAG set apart).
store_at_k() {
	local end=$1 k left rc b scen="" batches=${BATCHES:-64 1024} bin=${EMBENCH:-embench} f
	f=store${TAG:-}
	shift
	for b in $batches; do
		scen="$scen${scen:+,}store_search_$b"
	done
	for k in "$@"; do
		left=$((end - (SECONDS - T0)))
		echo "== $bin store, 1M rows, k=$k ($((SECONDS - T0)) s, $left s left)"
		[ $left -gt 60 ] || break
		lim $left $G/$bin --docs 1000000 --backend cuda --peers torch --time 0.3s --k $k --batches "${batches// /,}" \
			--large-k none --scenario "$scen" --json "$OUT/${f}_k$k.json" >"$OUT/${f}_k$k.md" 2>"$OUT/${f}_k$k.err"
		rc=$?
		echo "store k=$k rc $rc ($((SECONDS - T0)) s)"
		grep -E '^\| store_search|^\|  \|' "$OUT/${f}_k$k.md" | head -24
		tail -2 "$OUT/${f}_k$k.err"
		[ $rc -ne 0 ] || rm -f "$OUT/${f}_k$k.err"
	done
}
# store_cuda LIMIT: the store's tests on cuda (libtorch's adapter crashes
# in its open on these machines: TestSearchExact's torch and mlx skipped).
store_cuda() {
	(cd store && SILICA_STORE_BACKENDS=cuda lim "$1" $G/store.test -test.v -test.run 'Search|Device|Filter|Exact|Batch|Tie|Warm' \
		-test.skip 'TestSearchExact/(torch|mlx)' >"$OUT/store_tests.log" 2>&1; echo "rc $?" >>"$OUT/store_tests.log")
	grep -E -- '^(--- FAIL|FAIL|ok|panic)|^rc |^    --- FAIL' "$OUT/store_tests.log" | head -20
	echo "store tests: $(grep -c -- '--- PASS' "$OUT/store_tests.log") pass, $(grep -c -- '--- FAIL' "$OUT/store_tests.log") fail"
}
# exact64 END SEED: cmd/exactcheck on cuda, 64 queries a batch, until END
# seconds into the script, into $OUT/exactcheck64.log.
exact64() {
	echo "== exactcheck, 64 queries a batch ($((SECONDS - T0)) s)"
	lim $(($1 - (SECONDS - T0))) $G/exactcheck -backend cuda -queries 64 -seed "$2" >"$OUT/exactcheck64.log" 2>&1
	echo "exactcheck rc $? ($((SECONDS - T0)) s)"
	grep -E "violation" "$OUT/exactcheck64.log" | grep -v ": 0 violations" | head -4
	grep -E "on cuda:|^ok" "$OUT/exactcheck64.log" | tail -12
}
# firstuse SPEC...: cudabench -storefirst over a saved 200K x 768 store
# (float32 in /tmp/sf32, float16 in /tmp/sf16, each made first) for each
# dtype,queries,k given: with an empty kernel cache, with it filled, and
# empty with the first search 8 s after Open; into $OUT/firstuse.log.
firstuse() {
	local spec d c
	{
		lim 60 $G/cudabench -storefirst /tmp/sf32,fp32,1,100
		lim 60 $G/cudabench -storefirst /tmp/sf16,fp16,1,100
		for spec in "$@"; do
			d=/tmp/sf32
			case $spec in fp16*) d=/tmp/sf16 ;; esac
			c=/tmp/cold-$spec
			SILICA_CACHE_DIR=$c lim 40 $G/cudabench -storefirst $d,$spec | sed 's/^/cold cache:            /'
			SILICA_CACHE_DIR=$c lim 40 $G/cudabench -storefirst $d,$spec | sed 's/^/cached:                /'
			SILICA_CACHE_DIR=$c-w lim 40 $G/cudabench -storefirst $d,$spec -wait 8s | sed 's/^/cold, 8 s after Open: /'
		done
	} 2>&1 | tee "$OUT/firstuse.log"
}
# store_grid LIMIT: embench's 1M-row store on cuda beside plain PyTorch,
# the whole grid in one run (the rows added once a dtype): store_add,
# then 1, 64 and 1024 queries at k = 10 (store_search_B) and at k = 100,
# 1000 and 4096 (store_search_B_kK), into $OUT/grid.{md,json,err}.
store_grid() {
	local s="store_add" b k
	for b in 1 64 1024; do
		s="$s,store_search_$b"
		for k in 100 1000 4096; do s="$s,store_search_${b}_k$k"; done
	done
	echo "== embench store grid, 1M rows ($((SECONDS - T0)) s)"
	lim "$1" $G/embench --docs 1000000 --backend cuda --peers torch --time 0.3s --batches 1,64,1024 --k 10 \
		--large-k 100,1000,4096 --large-k-batches 1,64,1024 --scenario "$s" --json "$OUT/grid.json" >"$OUT/grid.md" 2>"$OUT/grid.err"
	echo "grid rc $? ($((SECONDS - T0)) s)"
	grep -E '^\| store_' "$OUT/grid.md" | head -80
	tail -3 "$OUT/grid.err"
}
