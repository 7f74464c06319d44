# Each fuzz target runs for a fixed short time (go test -fuzz takes one
# target at a time); a crash fails the step, and go test writes the input
# that failed to the package's testdata/fuzz/FuzzX/ (keep it there: plain
# go test replays it). SILICA_FUZZTIME sets the time per target.
# Interesting inputs are minimized for at most 2 s, so the time goes to
# fuzzing.
set -euo pipefail
fuzztime="${SILICA_FUZZTIME:-7s}"
targets=(
	"./store/npy FuzzReadHeader"
	"./store/npy FuzzReadArray"
	"./store FuzzReadNPY"
	"./store FuzzReadNPYIDs"
	"./store FuzzManifest"
	"./store FuzzOpen"
	"./store FuzzLoad"
	"./cmd/embench FuzzParseNPY"
	"./cmd/silica FuzzSearchK"
	"./cmd/silica FuzzImportFlags"
	"./encode/safetensors FuzzParse"
)
# Every FuzzX of the repository is in the list above.
listed=$(printf '%s\n' "${targets[@]}" | awk '{print $2}' | sort)
found=$(grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' . | sed 's/^func //' | sort)
if [ "$listed" != "$found" ]; then
	echo "25-fuzz.sh: its target list differs from the FuzzX functions of the repository:"
	diff <(echo "$listed") <(echo "$found") || true
	exit 1
fi
start=$SECONDS
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	t0=$SECONDS
	dir="$pkg/testdata/fuzz/$name"
	before=$(ls "$dir" 2>/dev/null | sort || true)
	if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s "$pkg" >"$out" 2>&1; then
		grep -v '^fuzz: elapsed' "$out" || true
	else
		grep -v '^fuzz: elapsed' "$out" || true
		after=$(ls "$dir" 2>/dev/null | sort || true)
		# Go 1.26's fuzzing coordinator can report its own -fuzztime
		# deadline as a failure while a worker is mid-input, writing no
		# input (golang/go#75804, fixed in Go 1.27): not a finding.
		if [ "$before" = "$after" ] && grep -q '^    context deadline exceeded$' "$out"; then
			echo "fuzz: $name: the coordinator's deadline race (golang/go#75804), no failing input written: not a failure"
		else
			echo "fuzz: $name in $pkg failed (the input is in $dir/)"
			exit 1
		fi
	fi
	echo "fuzz: $name ($pkg) $((SECONDS - t0)) s"
done
echo "fuzz: $(( ${#targets[@]} )) targets in $((SECONDS - start)) s"
