// Package clustertest runs weaviate-silica (built by ../build.sh) as a
// three-node cluster on 127.0.0.1 (TestCluster), and as one node for a
// backup and restore (TestBackup) and for async indexing
// (TestAsyncIndexing), and checks Silica's index through
// Weaviate's REST and GraphQL APIs against a float64 brute-force answer.
//
// The tests find the binary at $SILICA_WEAVIATE_BIN, else at
// ${XDG_CACHE_HOME:-$HOME/.cache}/silica-weaviate/weaviate-silica, where
// build.sh leaves it. Without it they are skipped, saying so, unless
// SILICA_CI=1, where they fail.
//
// Every port a node opens (REST, gRPC, gossip, cluster data, Raft) is bound
// to 127.0.0.1 (the patch's SILICA_LISTEN_HOST covers the listeners Weaviate
// binds to every interface), and the test checks it in /proc. Nodes are
// killed when the test ends, passes or fails, and with the test process
// (Pdeathsig).
package clustertest
