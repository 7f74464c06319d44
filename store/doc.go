// Package store will be Silica's EmbeddingStore (issue 3). Not built yet.
package store
