// Package store is Silica's EmbeddingStore: vectors with int64 ids, kept
// on any engine backend (engine.Open, engine.Default) and searched
// exactly, with files that NumPy reads.
//
//	s, err := store.New(store.Options{Dim: 768, Metric: store.Cosine, MemoryGB: 20})
//	err = s.Add(ids, vectors)           // upsert; or ids, err := s.Append(vectors)
//	hits, err := s.Search(query, 10)    // []Hit{ID, Score}, best first
//	err = s.Save("artifacts/")
//	s2, err := store.Open("artifacts/", store.Options{Backend: "cuda"})
//
// # Metrics and types
//
// Cosine (the default) stores rows normalized, so a search is one scan of
// dot products; scores are cosine similarities. Dot scores are inner
// products, L2 scores squared Euclidean distances (smaller is closer).
// Rows are stored as float32, float16 (queries are rounded to float16
// too) or int8 with one float32 scale per row (max|x|/127; the scan
// dequantizes on the fly). Scores accumulate in float32. Tests bound the
// recall@10 of float16 and int8 against the exact answer (0.98, 0.95; on
// random data they reach about 0.998 and 0.99).
//
// # Search
//
// The rows live in segments (engine arrays of up to Options.SegmentRows
// rows, in ascending id order). A search builds one top-k per segment,
// over MatMul(queries, rowsᵀ) or L2Distance, which the engine's scheduler
// fuses into one scan_topk step that never writes the score matrix, and
// evaluates them all in one engine.Eval: one submission to the device.
// The per-segment results are merged on the host by score, ties to the
// smaller id (exact, because rows are in id order within a segment and
// the engine breaks ties by the smaller row). Any k >= 1 works; k above
// Len returns everything. SearchBatch runs many queries in the same
// submission.
//
// Filters are evaluated on the host when a search is built (Where calls
// its predicate once per stored id, AllowIDs looks its ids up); the scan
// kernels themselves are not filtered. A segment with few rows filtered
// out (or deleted: at most an eighth) is scanned whole for k plus that
// many results and the excluded ones dropped on the host; a segment with
// more has its passing rows gathered into a new array (engine.Gather, a
// copy on the device, in the same submission) and scanned. Either way the
// top k are chosen after the filter, so k hits come back when k pass.
// SearchRange returns every hit within a score or distance bound.
//
// # Adds and deletes
//
// An add checks the whole batch (dimension, NaN and Inf, zero vectors
// under Cosine, float16 range, duplicate ids, the memory budget) before
// changing anything, so an error leaves the store exactly as it was. New
// rows become new segments; a segment merges into the one before it when
// that one is no larger (a binary counter: each row is copied at most
// log2(SegmentRows) times). On backends that use host memory in place
// (the CPU) the store owns its rows' memory, and a segment whose ids
// follow the previous one's is appended to it, as a Go slice grows: each
// row copied about twice. The engine has no concatenation, so merges
// elsewhere go through the host. Delete marks rows dead; a segment more
// than an eighth dead is compacted (on the device, by a gather). Stats
// reports live and reclaimable rows and the bytes held.
//
// # Concurrency
//
// A Store is safe for concurrent use. Searches share a read lock for
// their whole run; writers are serialized and build new segments outside
// the lock, then publish them under it, so a search sees every write
// whole or not at all.
//
// # Files
//
// Save writes manifest.json (format version, dim, dtype, metric, count,
// segments, CRC-32C checksums of every file and of itself) and NumPy .npy
// files: embeddings.npy ([count, dim] '<f4', '<f2' or '|i1'), ids.npy
// ([count] '<i8') and, for int8, scales.npy ([count] '<f4'). A save goes
// to a new version directory inside the store directory, fsynced, and is
// switched in by renaming a symlink (see layout.go), so a crash leaves the
// old store or the new one. Open checks sizes, headers and checksums,
// naming the file at fault, and memory-maps large files; on the CPU
// backend the rows are used in place. The checksum pass reads every byte
// (about 0.55 to 0.85 s for 1M x 768 float32 on a busy 2-core machine);
// Options.SkipChecksums skips it (milliseconds), still checking sizes,
// headers, the manifest and the ids. WriteTo and Load carry the same
// files as a tar stream. ReadNPY and ReadNPYIDs import arrays written by
// numpy.save. Package npy reads and writes the format.
//
// Permissions: directories are made with mode 0755 and files with 0644,
// less the process's umask, as most programs make theirs (so the usual
// umask 022 gives everyone read access; a umask of 077 keeps a store
// private to its owner). The store directory, each version directory and
// every file follow this one rule.
//
// # Errors
//
// Every error names the problem (the vector, the id, the file, the
// numbers of the budget) on one line. ErrNotFound and ErrClosed can be
// tested with errors.Is.
package store
