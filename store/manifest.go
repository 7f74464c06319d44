package store

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/par"
)

// The files of a saved store.
const (
	ManifestFile   = "manifest.json"
	EmbeddingsFile = "embeddings.npy"
	IDsFile        = "ids.npy"
	ScalesFile     = "scales.npy" // int8 storage only
)

// FormatName and FormatVersion identify the manifest format this package
// writes. Open reads this version and the older ones and refuses newer
// ones. Version 1 kept each segment's ids ascending; version 2 writes rows
// in insertion order, so ids may come in any order (still unique).
const (
	FormatName    = "silica-store"
	FormatVersion = 2
)

// checksumChunk is the span of one CRC-32C in a file's checksum list, so
// that a large file is verified on all cores.
const checksumChunk = 64 << 20

// Manifest describes a saved store; it is manifest.json.
type Manifest struct {
	Format  string `json:"format"`  // FormatName
	Version int    `json:"version"` // FormatVersion
	Dim     int    `json:"dim"`
	DType   string `json:"dtype"`  // "float32", "float16" or "int8"
	Metric  string `json:"metric"` // "cosine", "dot" or "l2"
	Count   int    `json:"count"`  // rows in embeddings.npy and ids.npy
	// NextID is the id Append gives next (one more than the largest id
	// the store has held, deleted ones included).
	NextID int64 `json:"next_id"`
	// Segments splits the rows, in file order, into the saved store's
	// arenas (version 1: runs of ascending id); they sum to Count.
	Segments []int `json:"segments"`
	// Model is the text model the vectors come from (AddTexts), if any.
	Model *Model `json:"model,omitempty"`
	// Checksums has an entry for each .npy file of the store.
	Checksums map[string]Checksum `json:"checksums"`
	// SelfCRC32C is the CRC-32C of the manifest itself, encoded as this
	// package encodes it with this field empty, so that a damaged manifest
	// is told from a damaged data file.
	SelfCRC32C string `json:"self_crc32c"`
}

// Checksum is a file's size and its CRC-32C (Castagnoli), one per chunk
// of ChunkBytes bytes (the last one shorter), in hexadecimal.
type Checksum struct {
	Bytes      int64    `json:"bytes"`
	ChunkBytes int64    `json:"chunk_bytes"`
	CRC32C     []string `json:"crc32c"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// files returns the .npy files a store of m's dtype has.
func (m *Manifest) files() []string {
	if m.DType == engine.Int8.String() {
		return []string{EmbeddingsFile, IDsFile, ScalesFile}
	}
	return []string{EmbeddingsFile, IDsFile}
}

// check validates the manifest's own fields.
func (m *Manifest) check() (resolved, error) {
	var r resolved
	if m.Format != FormatName {
		return r, fmt.Errorf("%s: format %.48q, not a %s manifest", ManifestFile, m.Format, FormatName)
	}
	if m.Version > FormatVersion || m.Version < 1 {
		return r, fmt.Errorf("%s: format version %d; this build reads versions 1 to %d (a newer silica wrote it?)", ManifestFile, m.Version, FormatVersion)
	}
	if m.Dim <= 0 || m.Count < 0 {
		return r, fmt.Errorf("%s: dim %d, count %d; want dim > 0 and count >= 0", ManifestFile, m.Dim, m.Count)
	}
	// The names exactly as the writer spells them (ParseDType and
	// ParseMetric also take the user's spellings: "f32", " L2").
	dt, err := ParseDType(m.DType)
	if err == nil && dt.String() != m.DType {
		err = fmt.Errorf("dtype %.48q is not spelled as %q", m.DType, dt)
	}
	if err != nil {
		return r, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	metric, err := ParseMetric(m.Metric)
	if err == nil && metric.String() != m.Metric {
		err = fmt.Errorf("metric %.48q is not spelled as %q", m.Metric, metric)
	}
	if err != nil {
		return r, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if int64(m.Count) > maxBytes/int64(m.Dim)/int64(dt.Size()) {
		return r, fmt.Errorf("%s: %d rows of dimension %d are too many", ManifestFile, m.Count, m.Dim)
	}
	sum := 0
	for _, n := range m.Segments {
		// n > Count-sum: rows past the count (and no overflow of sum).
		if n <= 0 || n > m.Count-sum {
			return r, fmt.Errorf("%s: segment of %d rows after %d of the %d counted", ManifestFile, n, sum, m.Count)
		}
		sum += n
	}
	if sum != m.Count {
		return r, fmt.Errorf("%s: segments hold %d rows, count is %d", ManifestFile, sum, m.Count)
	}
	for _, f := range m.files() {
		c, ok := m.Checksums[f]
		if !ok {
			return r, fmt.Errorf("%s: no checksum for %s", ManifestFile, f)
		}
		if c.Bytes < 0 || c.ChunkBytes <= 0 || int64(len(c.CRC32C)) != c.Bytes/c.ChunkBytes+min(1, c.Bytes%c.ChunkBytes) {
			return r, fmt.Errorf("%s: checksum of %s has %d chunks of %d bytes for %d bytes", ManifestFile, f, len(c.CRC32C), c.ChunkBytes, c.Bytes)
		}
	}
	return resolved{dim: m.Dim, metric: metric, dtype: dt}, nil
}

// ReadManifest reads and checks the manifest of the store in dir (the
// version the store's current pointer names, or dir itself for a plain
// directory of the files).
func ReadManifest(dir string) (*Manifest, error) {
	base, err := resolveDir(dir)
	if err != nil {
		return nil, err
	}
	m, err := readManifest(base)
	if err != nil {
		return nil, opErr(err, "open %s", dir)
	}
	return m, nil
}

func readManifest(base string) (*Manifest, error) {
	f, err := os.Open(base + "/" + ManifestFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeManifest(f)
}

// maxBytes bounds the bytes of a store's rows (so that byte counts never
// overflow; npy bounds a file's elements the same way).
const maxBytes = 1 << 56

// maxManifest bounds manifest.json (its checksum lists grow by one entry
// per 64 MiB of data).
const maxManifest = 16 << 20

func decodeManifest(r io.Reader) (*Manifest, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if len(b) > maxManifest {
		return nil, fmt.Errorf("%s: larger than %d bytes", ManifestFile, maxManifest)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON (damaged?): %w", ManifestFile, err)
	}
	if got, err := m.selfCRC(); err != nil || got != m.SelfCRC32C {
		return nil, fmt.Errorf("%s: checksum mismatch (self_crc32c %.48q, content %s): the file is damaged", ManifestFile, m.SelfCRC32C, got)
	}
	if _, err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// summer computes a Checksum of what is written through it.
type summer struct {
	w     io.Writer
	sum   Checksum
	crc   uint32
	chunk int64 // bytes of the current chunk so far
}

func newSummer(w io.Writer) *summer {
	return &summer{w: w, sum: Checksum{ChunkBytes: checksumChunk, CRC32C: []string{}}}
}

func (s *summer) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	for q := p[:n]; len(q) > 0; {
		take := min(int64(len(q)), checksumChunk-s.chunk)
		s.crc = crc32.Update(s.crc, castagnoli, q[:take])
		s.chunk += take
		s.sum.Bytes += take
		q = q[take:]
		if s.chunk == checksumChunk {
			s.flush()
		}
	}
	return n, err
}

func (s *summer) flush() {
	s.sum.CRC32C = append(s.sum.CRC32C, hexCRC(s.crc))
	s.crc, s.chunk = 0, 0
}

// checksum returns the finished checksum.
func (s *summer) checksum() Checksum {
	if s.chunk > 0 {
		s.flush()
	}
	return s.sum
}

func hexCRC(c uint32) string {
	return hex.EncodeToString([]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)})
}

// verify checks data against c, its chunks on all cores, and names the
// first bad chunk. With no chunk sums in c it checks the size alone.
func verify(name string, data []byte, c Checksum) error {
	if int64(len(data)) != c.Bytes {
		return fmt.Errorf("%s: %d bytes, the manifest says %d (truncated or replaced)", name, len(data), c.Bytes)
	}
	bad := make([]bool, len(c.CRC32C))
	par.Chunks(len(bad), 1, func(i, _ int) {
		lo := int64(i) * c.ChunkBytes
		hi := min(lo+c.ChunkBytes, c.Bytes)
		bad[i] = hexCRC(crc32.Checksum(data[lo:hi], castagnoli)) != c.CRC32C[i]
	})
	for i, b := range bad {
		if b {
			lo := int64(i) * c.ChunkBytes
			return fmt.Errorf("%s: checksum mismatch in bytes [%d, %d): the file is damaged", name, lo, min(lo+c.ChunkBytes, c.Bytes))
		}
	}
	return nil
}

// encodeManifest writes m, with its SelfCRC32C, as indented JSON.
func encodeManifest(w io.Writer, m *Manifest) error {
	crc, err := m.selfCRC()
	if err != nil {
		return err
	}
	c := *m
	c.SelfCRC32C = crc
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// selfCRC is the checksum of m's encoding with SelfCRC32C empty.
func (m *Manifest) selfCRC() (string, error) {
	c := *m
	c.SelfCRC32C = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	return hexCRC(crc32.Checksum(b, castagnoli)), nil
}
