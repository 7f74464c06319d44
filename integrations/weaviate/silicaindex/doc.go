// Package silicaindex is Silica's exact vector index for Weaviate: a type
// with the methods of Weaviate's VectorIndex (adapters/repos/db, v1.39.0)
// over a Silica store (package store), for collections whose
// vectorIndexType is "silica" (package silicaconfig holds the config).
//
// Weaviate has no plug-in API for vector indexes; the patch in
// integrations/weaviate/patch wires this package into the switches of a
// pinned Weaviate version, and build.sh builds that server.
//
// # Persistence
//
// Each vector is written to a bucket of the shard's own key-value store
// (lsmkv, strategy replace, named "vectors_silica" or
// "vectors_silica_<target vector>"): the key is the doc id (8 bytes,
// big-endian), the value the vector as the object carried it (little-endian
// float32). Weaviate flushes, compacts, backs up and drops that bucket with
// the shard, as it does for its own flat index. The store itself lives in
// memory (or on the device) only: PostStartup rebuilds it from the bucket,
// in batches, and an index used before PostStartup rebuilds first.
//
// # Search
//
// SearchByVector is a top-k search of the store. Weaviate's AllowList (a
// roaring bitmap of the shard's uint64 doc ids) becomes store.AllowIDs:
// the store turns it into a bitmap of passing rows that the scan reads on
// the device, not a per-row callback. A nil list searches everything; an
// empty one finds nothing. SearchByVectorDistance is store.SearchRange
// (unfiltered) or a top-k search with k growing fourfold (filtered), kept
// to maxLimit results when it is positive.
//
// # Distances
//
// Scores become distances as Weaviate's distancer package defines them:
// cosine (cosine-dot) 1 - cos, dot -dot, l2-squared the squared Euclidean
// distance. A result is within a distance bound when its distance is at
// most the bound or within 1e-6 of it, as Weaviate's flat index decides.
//
// # Engines
//
// The store runs on the backend the config names (empty: engine.Default,
// which honours SILICA_BACKEND). Indexes of one process on the same backend
// and device share one engine (one CUDA context on a GPU), opened at first
// use and kept for the life of the process; its evaluations run one at a
// time.
//
// # Refused
//
// Multi-vector collections and Weaviate's compressions (pq, bq, sq, rq) are
// refused when the collection is created (silicaconfig); the distances
// manhattan and hamming too. Doc ids above the int64 range are refused by
// Add. Compressed and Multivector report false.
package silicaindex
