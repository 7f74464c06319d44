// Package store is Silica's EmbeddingStore: vectors with int64 ids, kept
// on an engine backend and searched exactly (issue 3).
package store
