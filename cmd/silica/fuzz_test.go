package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
	"github.com/silica-go/silica/store/npy"
)

// writeRows saves rows as a float32 .npy file.
func writeRows(f *testing.F, path string, rows [][]float32) {
	var data []byte
	for _, r := range rows {
		for _, x := range r {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(x))
		}
	}
	var b bytes.Buffer
	if _, err := npy.Write(&b, npy.Float32, []int{len(rows), len(rows[0])}, data); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		f.Fatal(err)
	}
}

// checkFailure fails unless a failed command printed nothing on stdout
// and one line on stderr, "silica: CMD: ...", naming want.
func checkFailure(t *testing.T, cmd string, stdout, stderr string, want string) {
	t.Helper()
	if stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") ||
		!strings.HasPrefix(stderr, "silica: "+cmd+": ") || !strings.Contains(stderr, want) {
		t.Fatalf("failed %s printed stdout %q, stderr %q; want one line naming %q", cmd, stdout, stderr, want)
	}
}

// FuzzSearchK runs search with any value of -k on a store with deleted
// rows: a number k >= 1 gives min(k, live) hits per query, anything else
// fails with one line naming k, exit status 2 for what is not a number.
func FuzzSearchK(f *testing.F) {
	f.Setenv(engine.EnvBackend, "cpu")
	dir := f.TempDir()
	r := rand.New(rand.NewPCG(7, 7))
	s, err := store.New(store.Options{Dim: 4, SegmentRows: 8})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.Append(randRows(r, 20, 4)); err != nil {
		f.Fatal(err)
	}
	if _, err := s.Delete(3, 4, 11); err != nil {
		f.Fatal(err)
	}
	if err := s.Save(dir); err != nil {
		f.Fatal(err)
	}
	live := s.Len()
	s.Close()
	q := filepath.Join(f.TempDir(), "q.npy")
	writeRows(f, q, randRows(r, 2, 4))
	for _, k := range []string{"1", "5", "17", "18", "1000", "0", "-1", "0x10", "1_0", "9223372036854775807", "9223372036854775808", "", "k", " 3"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		var out, errb bytes.Buffer
		code := run([]string{"search", "--store", dir, "--queries", q, "-k=" + k}, &out, &errb)
		n, perr := strconv.ParseInt(k, 0, strconv.IntSize) // as package flag reads an int
		switch {
		case perr != nil:
			if code != 2 {
				t.Fatalf("-k=%q: exit status %d, want 2", k, code)
			}
			checkFailure(t, "search", out.String(), errb.String(), "-k")
		case n < 1:
			if code == 0 {
				t.Fatalf("-k=%q: exit status 0", k)
			}
			checkFailure(t, "search", out.String(), errb.String(), strconv.FormatInt(n, 10))
			if !strings.Contains(errb.String(), "k") {
				t.Fatalf("-k=%q: %q does not name k", k, errb.String())
			}
		default:
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if code != 0 || errb.Len() != 0 || len(lines) != 1+2*int(min(n, int64(live))) {
				t.Fatalf("-k=%q: exit status %d, %d lines (want %d), stderr %q", k, code, len(lines), 1+2*min(n, int64(live)), errb.String())
			}
		}
	})
}

// FuzzImportFlags runs import with any --metric and --dtype and any ids
// file: what the store's parsers refuse fails with exit status 2 naming
// the flag, a bad ids file fails naming the file, and what passes makes a
// store of the metric and dtype asked for with the file's ids.
func FuzzImportFlags(f *testing.F) {
	f.Setenv(engine.EnvBackend, "cpu")
	in := filepath.Join(f.TempDir(), "in.npy")
	writeRows(f, in, randRows(rand.New(rand.NewPCG(9, 9)), 3, 5))
	ids := func(d string, v ...int64) []byte {
		var data []byte
		for _, x := range v {
			if d == npy.Int32 {
				data = binary.LittleEndian.AppendUint32(data, uint32(x))
			} else {
				data = binary.LittleEndian.AppendUint64(data, uint64(x))
			}
		}
		var b bytes.Buffer
		npy.Write(&b, d, []int{len(v)}, data)
		return b.Bytes()
	}
	for _, c := range []struct {
		metric, dtype string
		ids           []byte
	}{
		{"cosine", "f32", ids(npy.Int64, 5, 1, 9)}, {"l2", "i8", ids(npy.Int32, -4, 0, 2)}, {"", "", nil},
		{"dot", "f16", ids(npy.Int64, 1, 1, 2)}, {"hamming", "f32", nil}, {"cos", "f64", nil}, {"L2", "bf16", ids(npy.Int64, 1)},
	} {
		f.Add(c.metric, c.dtype, c.ids)
	}
	f.Fuzz(func(t *testing.T, metric, dtype string, idsFile []byte) {
		dir := filepath.Join(t.TempDir(), "s")
		args := []string{"import", "--store", dir, "--in", in, "--metric=" + metric, "--dtype=" + dtype}
		var wantIDs []int64
		var idsErr error
		if idsFile != nil {
			p := filepath.Join(t.TempDir(), "ids.npy")
			if err := os.WriteFile(p, idsFile, 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, "--ids", p)
			wantIDs, idsErr = store.ReadNPYIDs(bytes.NewReader(idsFile))
		}
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		wantMetric, merr := store.ParseMetric(metric)
		wantDType, derr := store.ParseDType(dtype)
		if metric == "" {
			wantMetric, merr = store.Cosine, nil
		}
		if dtype == "" {
			wantDType, derr = engine.Float32, nil
		}
		switch {
		case merr != nil:
			if code != 2 {
				t.Fatalf("--metric=%q: exit status %d, want 2", metric, code)
			}
			checkFailure(t, "import", out.String(), errb.String(), "--metric")
		case derr != nil:
			if code != 2 {
				t.Fatalf("--dtype=%q: exit status %d, want 2", dtype, code)
			}
			checkFailure(t, "import", out.String(), errb.String(), "--dtype")
		case idsErr != nil || (idsFile != nil && len(wantIDs) != 3):
			if code != 1 {
				t.Fatalf("ids file %q: exit status %d, want 1", idsFile, code)
			}
			checkFailure(t, "import", out.String(), errb.String(), "ids.npy")
		default:
			dup := map[int64]bool{}
			for _, id := range wantIDs {
				dup[id] = true
			}
			if len(dup) < len(wantIDs) {
				if code != 1 {
					t.Fatalf("duplicate ids %v: exit status %d, want 1", wantIDs, code)
				}
				checkFailure(t, "import", out.String(), errb.String(), "twice")
				return
			}
			if code != 0 {
				t.Fatalf("%q: exit status %d: %s", args, code, errb.String())
			}
			s, err := store.Open(dir, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Len() != 3 || s.Metric() != wantMetric || s.DType() != wantDType {
				t.Fatalf("%q made a store of %d rows, %s, %s; want 3, %s, %s", args, s.Len(), s.Metric(), s.DType(), wantMetric, wantDType)
			}
			for _, id := range wantIDs {
				if _, err := s.Get(id); err != nil {
					t.Fatalf("%q: id %d: %v", args, id, err)
				}
			}
		}
	})
}
