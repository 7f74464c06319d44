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
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	t0=$SECONDS
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s "$pkg" |
		grep -v '^fuzz: elapsed' || { echo "fuzz: $name in $pkg failed (the input is in $pkg/testdata/fuzz/$name/)"; exit 1; }
	echo "fuzz: $name ($pkg) $((SECONDS - t0)) s"
done
echo "fuzz: $(( ${#targets[@]} )) targets in $((SECONDS - start)) s"
