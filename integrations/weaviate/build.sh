#!/usr/bin/env bash
# build.sh builds weaviate-silica: Weaviate at the version this module pins
# (go.mod), with patch/weaviate-<version>.patch applied and this folder's
# index packages linked in, CGO_ENABLED=0.
#
#   integrations/weaviate/build.sh            # prints the binary's path
#   integrations/weaviate/build.sh -o PATH    # and copies it to PATH
#
# Weaviate's source comes from the Go module proxy as a module and is checked
# against the hash in this folder's go.sum; the build's go.sum is Weaviate's
# own plus this module's, so every dependency is checked. The binary is
# cached under ${XDG_CACHE_HOME:-$HOME/.cache}/silica-weaviate, keyed by a
# hash of the inputs (Weaviate's version, the patch, this script, go.mod and
# go.sum of both modules, every Go, assembly and embedded file of the silica packages
# the index links, the Go version): a second run with the same inputs
# prints the cached binary at once. SILICA_WEAVIATE_REBUILD=1 rebuilds.
set -euo pipefail

out=""
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out="$2"; shift 2 ;;
	*) echo "build.sh: unknown argument $1 (usage: build.sh [-o PATH])" >&2; exit 2 ;;
	esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/silica-weaviate"
mkdir -p "$cache/bin"
start=$(date +%s)

cd "$here"
version="$(go list -m -f '{{.Version}}' github.com/weaviate/weaviate)"
patchfile="$here/patch/weaviate-$version.patch"
[ -f "$patchfile" ] || { echo "build.sh: no patch for Weaviate $version ($patchfile)" >&2; exit 1; }

# The inputs' hash: the files the build reads from this repository.
inputs() {
	echo "weaviate $version"
	go version
	echo "$(go env GOOS)/$(go env GOARCH)"
	sha256sum "$patchfile" "$here/build.sh" "$here/go.mod" "$here/go.sum" "$repo/go.mod" "$repo/go.sum"
	CGO_ENABLED=0 go list -deps -f '{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .SFiles}}{{$d}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}
{{end}}{{end}}' ./silicaindex ./silicaconfig | grep -F "$repo/" | sort | xargs sha256sum | sed "s|$repo/||"
}
hash="$(inputs | sha256sum | cut -c1-16)"
bin="$cache/bin/weaviate-silica-$version-$hash"

if [ -x "$bin" ] && [ "${SILICA_WEAVIATE_REBUILD:-0}" != 1 ]; then
	echo "build.sh: cached $bin ($(( $(date +%s) - start )) s)" >&2
else
	# Weaviate's source, as a module, checked against this module's go.sum.
	info="$(GOFLAGS=-mod=mod go mod download -json "github.com/weaviate/weaviate@$version")"
	dir="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	sum="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p')"
	want="$(awk -v v="$version" '$1 == "github.com/weaviate/weaviate" && $2 == v {print $3}' go.sum)"
	if [ -z "$dir" ] || [ -z "$sum" ] || [ "$sum" != "$want" ]; then
		echo "build.sh: Weaviate $version from the module proxy has hash '$sum'; go.sum says '$want'" >&2
		exit 1
	fi

	src="$cache/src-$hash"
	rm -rf "$src"
	cp -r "$dir" "$src"
	chmod -R u+w "$src"
	patch -d "$src" -p1 --batch --forward --quiet < "$patchfile"

	cd "$src"
	go mod edit \
		-require=github.com/silica-go/silica@v0.0.0 \
		-replace=github.com/silica-go/silica="$repo" \
		-require=github.com/silica-go/silica/integrations/weaviate@v0.0.0 \
		-replace=github.com/silica-go/silica/integrations/weaviate="$here"
	sort -u go.sum "$here/go.sum" "$repo/go.sum" -o go.sum
	echo "build.sh: building weaviate-silica (Weaviate $version, inputs $hash) in $src" >&2
	CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
		-ldflags="-s -w -X github.com/weaviate/weaviate/usecases/build.Revision=silica-$hash" \
		-o "$bin.tmp" ./cmd/weaviate-server
	mv "$bin.tmp" "$bin"
	cd "$here"
	rm -rf "$src"
	# Keep the newest three binaries.
	ls -1t "$cache"/bin/weaviate-silica-* 2>/dev/null | tail -n +4 | xargs -r rm -f
	echo "build.sh: built $bin ($(( $(date +%s) - start )) s)" >&2
fi

ln -sfn "$bin" "$cache/weaviate-silica"
if [ -n "$out" ]; then
	cp "$bin" "$out"
	echo "$out"
else
	echo "$cache/weaviate-silica"
fi
