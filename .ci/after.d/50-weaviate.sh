#!/usr/bin/env bash
# Silica's vector index inside Weaviate (integrations/weaviate, a module of
# its own that the root's go test ./... does not enter): build.sh builds
# weaviate-silica (Weaviate v1.39.0 with the patch; cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/silica-weaviate by a hash of its inputs, so
# only a change of them rebuilds: about 9 minutes cold on 2 cores, and 2.2 GB
# of module cache), then the module's tests run with SILICA_CI=1: the index
# against brute force without a cluster, and the three-node cluster on
# 127.0.0.1, which fail rather than skip without the binary. Each part
# prints its time.
set -euo pipefail
cd "$(dirname "$0")/../../integrations/weaviate"
# build.sh applies the patch with patch(1): on the base image, installed if not.
command -v patch >/dev/null || { apt-get update -qq && apt-get install -y -qq patch >/dev/null; }
start=$SECONDS
bin=$(./build.sh)
echo "weaviate: build.sh took $((SECONDS - start)) s ($bin)"
start=$SECONDS
SILICA_CI=1 SILICA_WEAVIATE_BIN="$bin" go test -count=1 -timeout 20m ./...
echo "weaviate: tests took $((SECONDS - start)) s"
