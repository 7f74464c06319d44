package store

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
)

// The points of a save where saveHook is called, in order, and whether
// the new store is in place once a crash there happens.
var crashPoints = []struct {
	point string
	isNew bool
}{
	{"write embeddings.npy", false}, // mid-file: one segment written
	{"write ids.npy", false},
	{"write scales.npy", false},
	{"write manifest.json", false},
	{"rename version", false},
	{"switch current", false},
	{"link names", true},
	{"remove old", true},
}

var errCrash = errors.New("simulated crash")

// opensAs checks that the store in dir opens and answers queries q as the
// new store (answer wantB) or the old one (wantA) does.
func opensAs(t *testing.T, what, dir string, q [][]float32, wantA, wantB string, isNew bool) {
	t.Helper()
	o, err := Open(dir, Options{Backend: "cpu"})
	if err != nil {
		t.Fatalf("%s: the store does not open: %v", what, err)
	}
	got := results(t, o, q, 20)
	o.Close()
	want, which := wantA, "old"
	if isNew {
		want, which = wantB, "new"
	}
	if got != want {
		t.Fatalf("%s: the store opened is not the %s one", what, which)
	}
}

// twoStores returns two different int8 stores (int8, so that every file,
// scales.npy included, is written).
func twoStores(t *testing.T) (a, b *Store) {
	a, _ = filled(t, Cosine, engine.Int8, 150)
	b, _ = filled(t, Cosine, engine.Int8, 230)
	return a, b
}

func TestCrashDuringSaveLeavesOldOrNew(t *testing.T) {
	a, b := twoStores(t)
	q := randVectors(rand.New(rand.NewPCG(1, 1)), 3, 10)
	wantA, wantB := results(t, a, q, 20), results(t, b, q, 20)
	for _, c := range crashPoints {
		dir := filepath.Join(t.TempDir(), "s")
		if err := a.Save(dir); err != nil {
			t.Fatal(err)
		}
		hit := false
		saveHook = func(p string) error {
			if p == c.point {
				hit = true
				return errCrash
			}
			return nil
		}
		err := b.Save(dir)
		saveHook = nil
		if !errors.Is(err, errCrash) || !hit {
			t.Fatalf("%s: save returned %v (hook reached: %t)", c.point, err, hit)
		}
		opensAs(t, "crash at "+c.point, dir, q, wantA, wantB, c.isNew)
		// The next save succeeds and clears the leftovers.
		if err := a.Save(dir); err != nil {
			t.Fatalf("save after a crash at %q: %v", c.point, err)
		}
		entries, _ := os.ReadDir(dir)
		versions := 0
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				t.Errorf("crash at %q: %s left after the next save", c.point, e.Name())
			}
			if versionName.MatchString(e.Name()) {
				versions++
			}
		}
		if versions != 1 {
			t.Errorf("crash at %q: %d version directories after the next save", c.point, versions)
		}
	}
}

func TestDamagedFilesNameTheFile(t *testing.T) {
	s, _ := filled(t, Dot, engine.Int8, 250)
	r := rand.New(rand.NewPCG(2, 2))
	for _, name := range []string{EmbeddingsFile, IDsFile, ScalesFile, ManifestFile} {
		type damage struct {
			what string
			do   func(path string) error
			want string
		}
		var cases []damage
		for _, cut := range []int{2, 100} { // (the manifest's last byte is a newline)
			cases = append(cases, damage{fmt.Sprintf("cut by %d", cut), func(path string) error {
				st, err := os.Stat(path)
				if err != nil {
					return err
				}
				return os.Truncate(path, st.Size()-int64(cut))
			}, name})
		}
		for _, at := range []string{"header", "middle", "last byte"} {
			cases = append(cases, damage{"bit flipped in the " + at, func(path string) error {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				i := map[string]int{"header": 9 + r.IntN(40), "middle": len(b) / 2, "last byte": len(b) - 2}[at]
				b[i] ^= 1 << r.IntN(8)
				return os.WriteFile(path, b, 0o644)
			}, name})
		}
		cases = append(cases, damage{"missing", os.Remove, name})
		if name != ManifestFile {
			// Headers rewritten in place: a type holding a newline, and
			// Fortran order.
			for _, e := range [][2]string{{"'descr': '", "'descr': '\n"}, {"False", "True "}} {
				cases = append(cases, damage{"header " + e[1], func(path string) error {
					b, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					i := bytes.Index(b, []byte(e[0]))
					if i < 0 {
						return fmt.Errorf("%s has no %q", path, e[0])
					}
					copy(b[i:], e[1])
					return os.WriteFile(path, b, 0o644)
				}, name})
			}
		}
		for _, c := range cases {
			dir := t.TempDir()
			if err := s.Save(dir); err != nil {
				t.Fatal(err)
			}
			// Damage the file itself, not the link to it.
			if err := c.do(filepath.Join(dir, "v000001", name)); err != nil {
				t.Fatal(err)
			}
			o, err := Open(dir, Options{Backend: "cpu", SkipChecksums: true})
			switch {
			case c.what == "bit flipped in the middle" && name == EmbeddingsFile:
				// Without the checksum pass, damage to the data goes unseen.
				if err != nil {
					t.Errorf("%s %s: Open with SkipChecksums: %v", name, c.what, err)
				}
			case strings.HasPrefix(c.what, "cut") || c.what == "missing":
				if err == nil {
					t.Errorf("%s %s: Open with SkipChecksums succeeded", name, c.what)
				}
			case strings.HasPrefix(c.what, "header"):
				if err == nil || !strings.Contains(err.Error(), name) || strings.ContainsAny(err.Error(), "\n\r") {
					t.Errorf("%s %s: Open with SkipChecksums: error %q does not name %s on one line", name, c.what, err, name)
				}
			}
			if err == nil {
				o.Close()
			}
			o, err = Open(dir, Options{Backend: "cpu"})
			if err == nil {
				o.Close()
				t.Errorf("%s %s: Open succeeded", name, c.what)
				continue
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s %s: error %q does not name %s on one line", name, c.what, err, c.want)
			}
		}
	}
}

func TestOpenErrors(t *testing.T) {
	s, _ := filled(t, L2, engine.Float16, 50)
	dir := t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		o    Options
		want string
	}{
		{t.TempDir(), Options{Backend: "cpu"}, "no store there"},
		{filepath.Join(dir, "nope"), Options{Backend: "cpu"}, "no such file"},
		{dir, Options{Backend: "cpu", Dim: 11}, "dimension is 10, the options ask for 11"},
		{dir, Options{Backend: "cpu", Metric: Cosine}, "metric is l2, the options ask for cosine"},
		{dir, Options{Backend: "cpu", DType: engine.Int8}, "dtype is float16, the options ask for int8"},
		{dir, Options{Backend: "nosuch"}, `unknown backend "nosuch"`},
		{dir, Options{Backend: "cpu", MemoryGB: 1e-6}, "the budget is 1000 bytes"},
	} {
		o, err := Open(c.dir, c.o)
		if err == nil {
			o.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%s, %+v): %v; want %q", c.dir, c.o, err, c.want)
		}
	}
	// Saving into a directory that holds something else is refused.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	if err := s.Save(other); err == nil || !strings.Contains(err.Error(), `holds "notes.txt"`) {
		t.Errorf("Save into a foreign directory: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "notes.txt")); string(b) != "mine" {
		t.Error("Save touched a foreign file")
	}
}

// TestVerifyChunks checks each chunk of a file against its own checksum:
// damage in any chunk (here of 100 bytes, 7 of them, the last short) is
// found and named by its byte range, and a file of the wrong size fails.
func TestVerifyChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	data := make([]byte, 651)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	c := Checksum{Bytes: int64(len(data)), ChunkBytes: 100}
	for lo := 0; lo < len(data); lo += 100 {
		c.CRC32C = append(c.CRC32C, hexCRC(crc32.Checksum(data[lo:min(lo+100, len(data))], castagnoli)))
	}
	if err := verify("f", data, c); err != nil {
		t.Fatalf("undamaged: %v", err)
	}
	for _, at := range []int{0, 99, 100, 345, 650} {
		bad := slices.Clone(data)
		bad[at] ^= 1 << r.IntN(8)
		want := fmt.Sprintf("bytes [%d, %d)", at/100*100, min(at/100*100+100, len(data)))
		if err := verify("f", bad, c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("byte %d damaged: %v; want an error naming %s", at, err, want)
		}
	}
	if err := verify("f", data[:650], c); err == nil || !strings.Contains(err.Error(), "650 bytes") {
		t.Errorf("a byte short: %v", err)
	}
}
