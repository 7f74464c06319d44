// Package silicaconfig is the user configuration of Silica's vector index
// for Weaviate: what a collection's vectorIndexConfig says when its
// vectorIndexType is "silica".
//
// # Fields
//
//	{"distance": "cosine", "dtype": "float32", "backend": "", "device": ""}
//
// distance is Weaviate's name of the metric: "cosine" (the default), "dot"
// or "l2-squared"; "manhattan" and "hamming" are refused. dtype is the
// storage type of the rows in Silica's store: "float32" (the default),
// "float16" or "int8" (f32, f16, i8 also read). backend names Silica's
// engine backend ("cpu", "cuda", "metal"; empty: engine.Default, which
// honours SILICA_BACKEND) and device one of its devices ("1" for cuda:1;
// empty: the backend's default).
//
// Multi-vector collections and Weaviate's compressions (pq, bq, sq, rq) are
// refused with an error that names them: the index searches every row
// exactly, and dtype is its only way to trade precision for memory. Every
// field is fixed once the collection exists (ValidateUpdate).
//
// The package imports nothing from Weaviate, so Weaviate's own config
// packages can import it without a cycle; UserConfig implements Weaviate's
// schemaConfig.VectorIndexConfig (IndexType, DistanceName, IsMultiVector).
package silicaconfig
