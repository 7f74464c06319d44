package store

import (
	"fmt"
)

// TextEncoder turns texts into vectors for a store that takes text
// (Options.Encoder). encode.Encoder implements it.
type TextEncoder interface {
	// Encode returns one vector of length Dim per text, in order.
	Encode(texts []string) ([][]float32, error)
	// Dim is the length of the vectors.
	Dim() int
	// Name names the model, for messages.
	Name() string
	// WeightsSHA256 identifies the model's weights (hex SHA-256): a store
	// records it, and refuses an encoder whose weights differ.
	WeightsSHA256() string
}

// Model identifies the text model whose vectors a store holds; the
// manifest records it.
type Model struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"` // of the weights
	// Dir is where the model was loaded from when the store recorded it
	// (if the encoder says: a Dir() string method), a hint for tools
	// that reopen the store; the weights' hash is what is checked.
	Dir string `json:"dir,omitempty"`
}

// Model returns the text model the store's vectors come from (recorded
// when it was made with an encoder or when one first added texts), or
// nil if none is recorded.
func (s *Store) Model() *Model {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.model == nil {
		return nil
	}
	m := *s.model
	return &m
}

// modelOf returns the Model of enc.
func modelOf(enc TextEncoder) *Model {
	m := &Model{Name: enc.Name(), SHA256: enc.WeightsSHA256()}
	if d, ok := enc.(interface{ Dir() string }); ok {
		m.Dir = d.Dir()
	}
	return m
}

// adoptEncoder checks enc against the store's recorded model (nil: none)
// and dimension, and records it.
func (s *Store) adoptEncoder(enc TextEncoder, recorded *Model) error {
	if enc == nil {
		s.model = recorded
		return nil
	}
	if enc.Dim() != s.cfg.dim {
		return fmt.Errorf("store: the encoder %s gives vectors of length %d; the store's are %d", enc.Name(), enc.Dim(), s.cfg.dim)
	}
	m := modelOf(enc)
	if recorded != nil && recorded.SHA256 != m.SHA256 {
		return fmt.Errorf("store: the store holds vectors of model %s (weights sha256 %.12s...); the encoder is %s (%.12s...): search it with the same model",
			recorded.Name, recorded.SHA256, m.Name, m.SHA256)
	}
	s.enc, s.model = enc, m
	return nil
}

// encoder returns the store's encoder, or an error saying how to get one.
func (s *Store) encoder(op string) (TextEncoder, error) {
	if s.enc != nil {
		return s.enc, nil
	}
	if s.model != nil {
		return nil, fmt.Errorf("store: %s: the store was opened without an encoder; open it with Options.Encoder set to model %s", op, s.model.Name)
	}
	return nil, fmt.Errorf("store: %s: the store has no text encoder (set Options.Encoder)", op)
}

// AddTexts encodes texts with the store's encoder and adds the vectors
// under ids (upsert), as Add does: len(ids) == len(texts); the batch is
// checked whole and nothing changes on an error.
func (s *Store) AddTexts(ids []int64, texts []string) error {
	if len(ids) != len(texts) {
		return fmt.Errorf("store: add texts: %d ids for %d texts", len(ids), len(texts))
	}
	enc, err := s.encoder("add texts")
	if err != nil {
		return err
	}
	vecs, err := enc.Encode(texts)
	if err != nil {
		return fmt.Errorf("store: add texts: %w", err)
	}
	return s.Add(ids, vecs)
}

// SearchText encodes query with the store's encoder and returns its k
// nearest vectors, as Search does.
func (s *Store) SearchText(query string, k int) ([]Hit, error) {
	hits, err := s.SearchTexts([]string{query}, k)
	if err != nil {
		return nil, err
	}
	return hits[0], nil
}

// SearchTexts is SearchText for many queries in one search (SearchBatch).
func (s *Store) SearchTexts(queries []string, k int) ([][]Hit, error) {
	if err := checkK("search", k); err != nil {
		return nil, err
	}
	enc, err := s.encoder("search text")
	if err != nil {
		return nil, err
	}
	vecs, err := enc.Encode(queries)
	if err != nil {
		return nil, fmt.Errorf("store: search text: %w", err)
	}
	return s.SearchBatch(vecs, k)
}

// SetEncoder gives an open store its text encoder, as Options.Encoder
// would have: an encoder of other weights than the store's recorded model
// is an error and changes nothing.
func (s *Store) SetEncoder(enc TextEncoder) error {
	if enc == nil {
		return fmt.Errorf("store: SetEncoder: nil encoder")
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.adoptEncoder(enc, s.model)
}
