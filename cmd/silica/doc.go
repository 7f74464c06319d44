// Command silica manages an embedding store (package store) from the
// shell, with NumPy .npy files in and out. Its commands and flags are
// fixed so that scripts can rely on them:
//
//	silica import --store DIR --in VECTORS.npy [--ids IDS.npy] [--metric cosine|dot|l2] [--dtype f32|f16|i8]
//	silica search --store DIR --queries Q.npy -k K [--json] [--devices D,...|all] [--shards N] [--skip-checksums]
//	silica info --store DIR [--devices D,...|all] [--shards N] [--skip-checksums]
//
// import creates the store in DIR (empty or missing) or extends the one
// there: VECTORS.npy is a 2-D float32, float16 or float64 array as
// numpy.save writes it; IDS.npy a 1-D int64 or int32 array of one id per
// row (an id already in the store is replaced), without it rows get
// sequential ids. --metric and --dtype choose those of a new store
// (default cosine, f32) and must match an existing one's. An array of no
// rows imports nothing: import says so and writes nothing (no new
// version, no new store), exiting with status 0. A float32 VECTORS.npy
// is memory-mapped, not read into memory (store.OpenNPY): the import
// holds the store's copy of the rows and no second one.
//
// search prints, for each row of Q.npy (a 2-D array of vectors, or a 1-D
// array read as one, as numpy.save of one sentence-transformers encoding
// gives), the K nearest ids, best first:
// by default as tab-separated lines "query rank id score" under a header
// line; with --json as one JSON array holding, per query,
// {"query": i, "hits": [{"id": ..., "score": ...}, ...]}.
//
// info prints the store's manifest and statistics.
//
// silica help, -h or --help, and -h or --help after a command, print the
// usage on standard output and exit with status 0.
//
// # Errors
//
// Any error prints one line, "silica: ...", on standard error and exits
// with status 1 (2 for a usage error); the store is left untouched: import
// writes a new version of the store only once everything has succeeded,
// atomically.
//
// # Backend
//
// The store runs on engine.Default(): the environment variable
// SILICA_BACKEND (e.g. "cpu", "cuda") chooses another. search and info
// take --devices (devices of that backend, comma-separated, or all: every
// GPU cuda sees) and --shards (shards per device) to open the store
// sharded (store.Options.Devices and Shards); the hits are the same.
// Both read every byte of the store for its checksum as they open it;
// --skip-checksums skips that pass (store.Options.SkipChecksums), still
// checking sizes, headers, the manifest and the ids, so damage inside the
// rows goes unseen.
package main
