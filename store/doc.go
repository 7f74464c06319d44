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
// The rows live in one arena: an engine array with room to grow, in
// insertion order (Options.SegmentRows caps the rows of an arena; past it
// rows go to a new one, and a search scans each in the same submission).
// The store keeps the ids by row on the host and an index from id to row;
// on a device (a backend that does not use host memory in place) each
// arena keeps its ids there too, 8 bytes a row. A search is one top-k
// per arena, over MatMul(queries, rowsᵀ) or L2Distance, which the
// engine's scheduler fuses into one scan_topk step that never writes the
// score matrix, all in one engine.Eval: one submission to the device.
// The host then maps rows to ids, drops excluded rows (deleted, or
// filtered out) and merges the arenas; on a device, a search of many
// results (queries times k of 2048 or more) maps its rows to ids in the
// same submission (engine.Gather) and reads back ids instead, sparing
// the host a random read of its ids per hit. The scan's results come
// back to the host in the same submission (engine.EvalRead), and the
// hits are built from views of them (engine.View), not from copies; on a
// device, a search of 1024 hits or more (queries times k) has their
// memory allocated and faulted in while the device scans. A search marks
// its phases as regions of a Go execution trace (runtime/trace:
// store.upload, store.build, store.eval, store.slabwait, store.collect,
// and store.slab on the goroutines that fault in the hits' memory), so
// `go tool trace` shows where a search's time goes.
//
// Ties go to the smaller id. The engine breaks them by the smaller row,
// which is not the smaller id, so each arena is asked for a few more
// than k results (k + 1 + k/256) and runs of equal scores are put in id
// order. When the last result still ties the k-th (a tie across the k-th
// place longer than that) and the scan did not
// return every row, rows of that score may be missing, and the arena is
// scanned again for twice as many (in a store of one arena, for the
// queries that need it alone): exact, and one scan in the common case.
// Any k >= 1 works; k above Len returns everything. SearchBatch runs
// many queries in the same submission.
//
// Filters are evaluated on the host when a search is built (Where calls
// its predicate once per stored id, AllowIDs looks its ids up) into a
// bitmap of each arena's passing rows, deleted rows clear (an arena with
// deletes and no filter gets the bitmap of its live rows). An AllowIDs
// filter keeps its bitmaps, and the store those of its live rows, for
// the rows as they are (Store.state, a count of the writers' turns): a
// search with the same filter before the next add or delete makes none.
// The bitmap is
// uploaded (n/8 bytes) and read by the scan: engine.MaskRows scores the
// failing rows as the worst score, and the scheduler fuses it into the
// scan kernel where the backend has a masked scan (CPU, Metal, and
// CUDA's row and tensor-core scans, which read a row's bit only for a
// score good enough to keep; the CPU's scan of one or two queries reads
// only the passing rows). So the scan covers the
// arena whole, is asked for k + 1 + k/256 results whatever the filter excludes,
// and k hits come back when k pass; passing rows that score as badly as
// failing ones (±Inf) are found by the rescan above. A backend without
// engine.OpMaskRows (a compat peer) is asked for that plus the excluded rows and the
// excluded dropped on the host. SearchRange returns every
// hit within a score or distance bound.
//
// # First use
//
// A backend that compiles its kernels on first use (CUDA: NVRTC, 0.2 to
// 2 s a kernel, once per machine; its disk cache keeps them) would make a
// fresh process's first search of each shape seconds slower than the
// second. Open therefore prepares, in the background, the scans of the
// top 10, 100 and 4096 (WarmK) for one query and for batches of 64
// (WarmBatches) over the rows it loaded: Store.Warm plans each as a
// search would and has the backend compile or load every kernel it would
// launch, without running it. A search meanwhile waits at most for the
// one scan being prepared (the engine runs one thing at a time); a
// failure is kept as Stats' MaintenanceError and the search compiles
// what it needs. After New, a
// program that has added its rows calls Warm itself for its own k and
// batch sizes, and WarmFiltered for its filtered searches. On the CPU
// nothing is compiled and Open starts nothing. The CUDA backend also
// loads the kernels the build ships compiled, where they cover the
// store's shapes, instead of compiling them (see "First use" in package
// cuda).
// On an H200 with an empty kernel cache, a float32 single-query search
// of a 200K-row store took 3.4 s right after Open and 1.2 ms once Open's
// warm-up had finished (0.5 ms the second time); with the kernels in the
// disk cache, 3.6 ms right after Open (cudabench -storefirst).
//
// # Adds and deletes
//
// An add checks the batch (dimension, NaN and Inf, zero vectors under
// Cosine, float16 range, duplicate ids, the memory budget) before
// changing anything, so an error leaves the store exactly as it was. The
// new rows are written past the end of the arena, where searches do not
// look, and published when all are written.
//
// On backends that use host memory in place (the CPU) the arena is the
// store's own memory, grown by a quarter as a Go slice grows (a store
// opened from files reads the memory-mapped file until its first add),
// and an add is one pass over the input on every core that checks each
// row, normalizes, converts or quantizes it and writes it into the arena.
//
// Elsewhere (CUDA) the batch is copied to the device once as float32
// (from the caller's slices, engine.FromFloat32Rows: CUDA gathers them
// straight into its pinned staging buffers, with no joined copy in host
// memory), normalized, converted or quantized there, and each row's
// norm (and, for float16 without Cosine, its largest magnitude) read
// back in the same submission and checked; a row that fails sends the
// batch through the host's checks, which name it. The rows are then
// copied into the arena on the device (engine.CopyRows). A full arena
// grows on the device (engine.Empty, then a copy) by a twentieth, at
// least doubling while under 64 MiB, so the rows take at most 1.05
// times their size plus 64 MiB (the CUDA backend rounds allocations up
// to its size classes, up to an eighth more), and each row is copied a
// bounded number of times however small the adds. The host keeps no
// copy of the rows. Backends without a device copy
// (engine.BufferCopier: the libtorch and MLX adapters) copy through the
// host instead.
//
// The ids of a batch in increasing order (Append's) are distinct without
// a map of them, a batch whose ids are all past every id the store holds
// looks none of them up, and a batch large against the store's map of
// ids has a new map made for its size while its rows are written.
//
// Delete marks rows dead, and Add of an id already stored marks its old
// row dead and appends the new one. An arena more than an eighth dead is
// compacted (its live rows gathered on the device, or copied on the
// host); Compact does it now, for every arena, and packs them. Stats
// reports live and reclaimable rows and the bytes held.
//
// # Concurrency
//
// A Store is safe for concurrent use. Searches share a read lock for
// their whole run; writers are serialized and write rows outside the
// lock, then publish them under it, so a search sees every write whole or
// not at all (in a sharded store, every shard's part of it at once).
//
// # Sharding
//
// Options.Devices spreads a store over several devices of its backend
// ("all" for every device engine.Devices lists: every GPU cuda sees), and
// Options.Shards puts that many shards on each device (or on the one
// device of an unsharded configuration), so that the whole logic runs,
// and is tested, on the cpu backend and on one GPU. A shard is an
// unsharded store on its device's engine (the shards of a device share
// it); the Store the user holds is the same type, with the same methods.
//
// An add sends an id a shard holds back to that shard (an upsert
// replaces the row there: no id is ever in two shards) and spreads new
// ids over the emptiest shards. Each shard writes its part aside, then
// all parts are published at once, so a search sees the whole add or
// none of it; a bad row or a full budget (which holds for all shards
// together) fails the add whole. Delete finds each id's shard.
//
// A search runs the scans of every device at once, a goroutine per
// device; a device's shards are scanned together as one store's arenas
// are, in one engine submission. Each device returns its exact top k per
// query, and the host merges them (it reads k candidates per query from
// each device; the scores never leave the devices otherwise), best first,
// ties by the smaller id, NaN last: the hits of the unsharded store, in
// its order, which the tests check hit for hit on the cpu backend with 1
// to 5 shards. A device-side merge (peer copies to one GPU) is a later
// step. On the cpu backend shards cost about nothing and gain nothing
// (embench, 100000 x 768 float32, 2 shards against 1, on a 2-core machine
// shared with other work: 64 queries 280 ms against 420, 1024 queries
// 5.4 s against 5.0 s, within the noise). Scaling over several GPUs has not been measured: no machine with
// more than one GPU was available when this was written, so the cuda
// path is checked by compiling and by the cpu tests only.
//
// Save writes a sharded store as an unsharded one would, each shard's
// arenas a segment or more; Open and Load split the rows evenly over the
// shards the options ask for, so a store saved from any number of shards
// opens with any other, including none.
//
// # Files
//
// Save writes manifest.json (format version, dim, dtype, metric, count,
// rows per arena, CRC-32C checksums of every file and of itself) and
// NumPy .npy files: embeddings.npy ([count, dim] '<f4', '<f2' or '|i1'),
// ids.npy ([count] '<i8', in insertion order since format version 2;
// version 1 stores, with ascending ids per segment, still open) and, for
// int8, scales.npy ([count] '<f4'). A save goes to a new version
// directory inside the store directory, fsynced, and is switched in by
// renaming a symlink (see layout.go), so a crash leaves the
// old store or the new one. Open checks sizes, headers and checksums,
// naming the file at fault, and memory-maps large files; on the CPU
// backend the rows are used in place. The checksum pass reads every byte
// (about 0.55 to 0.85 s for 1M x 768 float32 on a busy 2-core machine);
// Options.SkipChecksums skips it (milliseconds), still checking sizes,
// headers, the manifest and the ids. WriteTo and Load carry the same
// files as a tar stream. ReadNPY and ReadNPYIDs import arrays written by
// numpy.save; OpenNPY opens a file of vectors for an add without reading
// it into memory where it can (float32, memory-mapped). Package npy reads
// and writes the format.
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
