package clustertest

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// s3Store is an S3 endpoint in memory, on 127.0.0.1, with what Weaviate's
// backup-s3 module asks of one (through the minio client): objects put
// whole or in multipart uploads (plain or aws-chunked bodies), got whole or
// by range, stated, listed (version 2, with a delimiter) and removed.
// Requests are not authenticated. It stands in for S3, which a cluster of
// several nodes needs to back up (the filesystem backend refuses them).
type s3Store struct {
	addr    string
	mu      sync.Mutex
	objects map[string][]byte         // "bucket/key"
	uploads map[string]map[int][]byte // upload id: parts
	keys    map[string]string         // upload id: "bucket/key"
	bad     []string                  // requests the store did not understand
	srv     *http.Server
}

// startS3 starts an s3Store; the test's cleanup stops it and fails the test
// if a request was not understood.
func startS3(t *testing.T) *s3Store {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("s3 store: %v", err)
	}
	s := &s3Store{addr: l.Addr().String(), objects: map[string][]byte{},
		uploads: map[string]map[int][]byte{}, keys: map[string]string{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(l)
	t.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.bad) > 0 {
			t.Errorf("the s3 store did not understand %d requests: %v", len(s.bad), s.bad)
		}
	})
	return s
}

// size returns the number of objects whose key starts with prefix
// ("bucket/..."), and their bytes.
func (s *s3Store) size(prefix string) (n, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.objects {
		if strings.HasPrefix(k, prefix) {
			n++
			bytes += len(v)
		}
	}
	return n, bytes
}

func etag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func (s *s3Store) fail(w http.ResponseWriter, code int, s3code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(code)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, s3code, msg)
}

func (s *s3Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	body, err := readS3Body(r)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case bucket == "":
		s.bad = append(s.bad, r.Method+" "+r.URL.String())
		s.fail(w, http.StatusNotImplemented, "NotImplemented", "no bucket")
	case key == "" && q.Has("location"):
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint>us-east-1</LocationConstraint>`)
	case key == "" && r.Method == http.MethodHead:
		w.WriteHeader(http.StatusOK)
	case key == "" && r.Method == http.MethodGet && q.Get("list-type") == "2":
		s.list(w, bucket, q.Get("prefix"), q.Get("delimiter"))
	case key != "" && r.Method == http.MethodPost && q.Has("uploads"):
		id := strconv.Itoa(len(s.keys) + 1)
		s.uploads[id], s.keys[id] = map[int][]byte{}, bucket+"/"+key
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId></InitiateMultipartUploadResult>`, bucket, key, id)
	case key != "" && r.Method == http.MethodPut && q.Has("uploadId"):
		parts, ok := s.uploads[q.Get("uploadId")]
		n, err := strconv.Atoi(q.Get("partNumber"))
		if !ok || err != nil {
			s.fail(w, http.StatusNotFound, "NoSuchUpload", "no upload "+q.Get("uploadId"))
			return
		}
		parts[n] = body
		w.Header().Set("ETag", etag(body))
	case key != "" && r.Method == http.MethodPost && q.Has("uploadId"):
		id := q.Get("uploadId")
		parts, ok := s.uploads[id]
		if !ok {
			s.fail(w, http.StatusNotFound, "NoSuchUpload", "no upload "+id)
			return
		}
		var done struct {
			Parts []struct{ PartNumber int } `xml:"Part"`
		}
		if err := xml.Unmarshal(body, &done); err != nil {
			s.fail(w, http.StatusBadRequest, "MalformedXML", err.Error())
			return
		}
		var all []byte
		for _, p := range done.Parts {
			b, ok := parts[p.PartNumber]
			if !ok {
				s.fail(w, http.StatusBadRequest, "InvalidPart", fmt.Sprintf("no part %d", p.PartNumber))
				return
			}
			all = append(all, b...)
		}
		s.objects[s.keys[id]] = all
		delete(s.uploads, id)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key><ETag>%s</ETag></CompleteMultipartUploadResult>`, bucket, key, etag(all))
	case key != "" && r.Method == http.MethodDelete && q.Has("uploadId"):
		delete(s.uploads, q.Get("uploadId"))
		w.WriteHeader(http.StatusNoContent)
	case key != "" && r.Method == http.MethodPut:
		s.objects[bucket+"/"+key] = body
		w.Header().Set("ETag", etag(body))
	case key != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		b, ok := s.objects[bucket+"/"+key]
		if !ok {
			s.fail(w, http.StatusNotFound, "NoSuchKey", "no object "+key)
			return
		}
		h := w.Header()
		h.Set("ETag", etag(b))
		h.Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Accept-Ranges", "bytes")
		lo, hi, partial, err := byteRange(r.Header.Get("Range"), len(b))
		if err != nil {
			s.fail(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", err.Error())
			return
		}
		h.Set("Content-Length", strconv.Itoa(hi-lo))
		if partial {
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", lo, hi-1, len(b)))
			w.WriteHeader(http.StatusPartialContent)
		}
		if r.Method == http.MethodGet {
			w.Write(b[lo:hi])
		}
	case key != "" && r.Method == http.MethodDelete:
		delete(s.objects, bucket+"/"+key)
		w.WriteHeader(http.StatusNoContent)
	default:
		s.bad = append(s.bad, r.Method+" "+r.URL.String())
		s.fail(w, http.StatusNotImplemented, "NotImplemented", r.Method+" "+r.URL.String())
	}
}

// list answers a ListObjectsV2 request: the keys under prefix, those with
// the delimiter after the prefix folded into common prefixes.
func (s *s3Store) list(w http.ResponseWriter, bucket, prefix, delim string) {
	type content struct {
		Key          string
		Size         int
		ETag         string
		LastModified string
	}
	var out struct {
		XMLName        xml.Name `xml:"ListBucketResult"`
		Name           string
		Prefix         string
		KeyCount       int
		MaxKeys        int
		IsTruncated    bool
		Contents       []content
		CommonPrefixes []struct{ Prefix string }
	}
	out.Name, out.Prefix, out.MaxKeys = bucket, prefix, 1000000
	seen := map[string]bool{}
	var keys []string
	for k := range s.objects {
		if rest, ok := strings.CutPrefix(k, bucket+"/"); ok && strings.HasPrefix(rest, prefix) {
			keys = append(keys, rest)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				p := k[:len(prefix)+i+len(delim)]
				if !seen[p] {
					seen[p] = true
					out.CommonPrefixes = append(out.CommonPrefixes, struct{ Prefix string }{p})
				}
				continue
			}
		}
		b := s.objects[bucket+"/"+k]
		out.Contents = append(out.Contents, content{k, len(b), etag(b), time.Now().UTC().Format(time.RFC3339)})
	}
	out.KeyCount = len(out.Contents) + len(out.CommonPrefixes)
	w.Header().Set("Content-Type", "application/xml")
	xml.NewEncoder(w).Encode(out)
}

// readS3Body reads a request's body, decoding aws-chunked framing (a
// streaming signature or trailing checksums) when the request has it.
func readS3Body(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	chunked := strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") ||
		strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked")
	if !chunked {
		return raw, nil
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	var out []byte
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked body: %v", err)
		}
		sz, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sz, 16, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("aws-chunked body: chunk size %q", sz)
		}
		if n == 0 {
			break // trailers, if any, follow: the store keeps no checksums
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, fmt.Errorf("aws-chunked body: %v", err)
		}
		out = append(out, chunk...)
		if _, err := br.ReadString('\n'); err != nil {
			return nil, fmt.Errorf("aws-chunked body: %v", err)
		}
	}
	if want := r.Header.Get("X-Amz-Decoded-Content-Length"); want != "" && want != strconv.Itoa(len(out)) {
		return nil, fmt.Errorf("aws-chunked body of %d bytes; the header says %s", len(out), want)
	}
	return out, nil
}

// byteRange parses a Range header ("bytes=a-b", "bytes=a-", "bytes=-n")
// over n bytes: the half-open range, and whether it is partial.
func byteRange(h string, n int) (lo, hi int, partial bool, err error) {
	if h == "" {
		return 0, n, false, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	a, b, ok2 := strings.Cut(spec, "-")
	if !ok || !ok2 || strings.Contains(spec, ",") {
		return 0, 0, false, fmt.Errorf("range %q", h)
	}
	switch {
	case a == "":
		m, err := strconv.Atoi(b)
		if err != nil {
			return 0, 0, false, fmt.Errorf("range %q", h)
		}
		lo, hi = max(n-m, 0), n
	default:
		if lo, err = strconv.Atoi(a); err != nil {
			return 0, 0, false, fmt.Errorf("range %q", h)
		}
		hi = n
		if b != "" {
			e, err := strconv.Atoi(b)
			if err != nil {
				return 0, 0, false, fmt.Errorf("range %q", h)
			}
			hi = min(e+1, n)
		}
	}
	if lo > hi || lo > n {
		return 0, 0, false, fmt.Errorf("range %q of %d bytes", h, n)
	}
	return lo, hi, true, nil
}
