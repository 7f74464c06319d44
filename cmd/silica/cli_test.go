package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/silica-go/silica/half"
	"github.com/silica-go/silica/internal/testenv"
	"github.com/silica-go/silica/store"
	"github.com/silica-go/silica/store/npy"
)

// TestMain runs the command itself when SILICA_CLI_RUN=1, so that tests
// can run the real program (exit status, stderr) without building it;
// otherwise it runs the tests and prints the skip line (testenv.Main).
func TestMain(m *testing.M) {
	if os.Getenv("SILICA_CLI_RUN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	testenv.Main(m)
}

// silica runs the command as a process and returns stdout, stderr and
// the exit status.
func silica(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SILICA_CLI_RUN=1", "SILICA_BACKEND=cpu")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// writeVectors saves rows as a float32 .npy file.
func writeVectors(t *testing.T, path string, rows [][]float32) {
	t.Helper()
	var data []byte
	for _, r := range rows {
		for _, x := range r {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(x))
		}
	}
	d := 0
	if len(rows) > 0 {
		d = len(rows[0])
	}
	writeNPY(t, path, npy.Float32, []int{len(rows), d}, data)
}

func writeNPY(t *testing.T, path, descr string, shape []int, data []byte) {
	t.Helper()
	var b bytes.Buffer
	if _, err := npy.Write(&b, descr, shape, data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func randRows(r *rand.Rand, n, d int) [][]float32 {
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, d)
		for j := range rows[i] {
			rows[i][j] = float32(r.NormFloat64())
		}
	}
	return rows
}

// tree returns every file under dir with its contents, links as their
// targets, to show that a failed command changed nothing.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		if info.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			out[p] = "-> " + target
			return nil
		}
		b, _ := os.ReadFile(p)
		out[p] = string(b)
		return nil
	})
	return out
}

func TestImportSearchInfo(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	r := rand.New(rand.NewPCG(1, 2))
	vecs := randRows(r, 203, 17)
	writeVectors(t, filepath.Join(dir, "v.npy"), vecs)
	writeVectors(t, filepath.Join(dir, "q.npy"), randRows(r, 4, 17))
	out, errs, code := silica(t, "import", "--store", st, "--in", filepath.Join(dir, "v.npy"), "--metric", "l2", "--dtype", "f16")
	if code != 0 || errs != "" || !strings.Contains(out, "created") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	// Extend with explicit ids (one replaces id 0).
	var ids []byte
	for _, id := range []int64{0, 500, 501} {
		ids = binary.LittleEndian.AppendUint64(ids, uint64(id))
	}
	writeNPY(t, filepath.Join(dir, "ids.npy"), npy.Int64, []int{3}, ids)
	writeVectors(t, filepath.Join(dir, "v2.npy"), randRows(r, 3, 17))
	out, errs, code = silica(t, "import", "--store", st, "--in", filepath.Join(dir, "v2.npy"), "--ids", filepath.Join(dir, "ids.npy"))
	if code != 0 || !strings.Contains(out, "extended") || !strings.Contains(out, "205 vectors") {
		t.Fatalf("second import: %d %q %q", code, out, errs)
	}
	out, errs, code = silica(t, "search", "--store", st, "--queries", filepath.Join(dir, "q.npy"), "-k", "7", "--json")
	if code != 0 || errs != "" {
		t.Fatalf("search: %d %q", code, errs)
	}
	for _, layout := range [][]string{{"--shards", "3"}, {"--devices", "all", "--shards", "2"}, {"--devices", "cpu"}} {
		sharded, errs, code := silica(t, append([]string{"search", "--store", st, "--queries", filepath.Join(dir, "q.npy"), "-k", "7", "--json"}, layout...)...)
		if code != 0 || errs != "" || sharded != out {
			t.Fatalf("search %v: %d %q\n%s\nwithout: %s", layout, code, errs, sharded, out)
		}
	}
	_, errs, code = silica(t, "search", "--store", st, "--queries", filepath.Join(dir, "q.npy"), "-k", "7", "--devices", "gpu3")
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, `backend "cpu" has no device "gpu3"`) {
		t.Fatalf("search --devices gpu3: %d %q", code, errs)
	}
	var res []struct {
		Query *int `json:"query"`
		Hits  []struct {
			ID    *int64   `json:"id"`
			Score *float32 `json:"score"`
		} `json:"hits"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 4 || strings.Count(out, "\n") != 1 {
		t.Fatalf("search --json printed %q (%v)", out, err)
	}
	s, err := store.Open(st, store.Options{Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, q := range res {
		if q.Query == nil || *q.Query != i || len(q.Hits) != 7 {
			t.Fatalf("query %d: %+v", i, q)
		}
	}
	direct, _ := s.Search(randRowsAt(t, filepath.Join(dir, "q.npy"))[2], 7)
	for j, h := range res[2].Hits {
		if h.ID == nil || h.Score == nil || *h.ID != direct[j].ID || *h.Score != direct[j].Score {
			t.Fatalf("query 2 hit %d: %v/%v, the store says %+v", j, h.ID, h.Score, direct[j])
		}
	}
	out, _, code = silica(t, "search", "--store", st, "--queries", filepath.Join(dir, "q.npy"), "-k", "3")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 13 || lines[0] != "query\trank\tid\tscore" || !strings.HasPrefix(lines[1], "0\t1\t") {
		t.Fatalf("search text output: %d %q", code, out)
	}
	out, _, code = silica(t, "info", "--store", st, "--shards", "4")
	if code != 0 || !strings.Contains(strings.Join(strings.Fields(out), " "), "shards 4") {
		t.Fatalf("info --shards 4: %d\n%s", code, out)
	}
	out, _, code = silica(t, "info", "--store", st)
	squeezed := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"count 205", "dtype float16", "metric l2", "next id 502", "file embeddings.npy", "backend cpu", "vectors 205"} {
		if code != 0 || !strings.Contains(squeezed, want) {
			t.Fatalf("info lacks %q:\n%s", want, out)
		}
	}
}

func randRowsAt(t *testing.T, path string) [][]float32 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _, err := store.ReadNPY(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestErrorsLeaveTheStoreUntouched(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	r := rand.New(rand.NewPCG(3, 4))
	p := func(name string) string { return filepath.Join(dir, name) }
	writeVectors(t, p("v.npy"), randRows(r, 50, 8))
	if _, errs, code := silica(t, "import", "--store", st, "--in", p("v.npy")); code != 0 {
		t.Fatal(errs)
	}
	writeVectors(t, p("v9.npy"), randRows(r, 5, 9))
	bad := randRows(r, 5, 8)
	bad[3][2] = float32(math.NaN())
	writeVectors(t, p("nan.npy"), bad)
	writeVectors(t, p("zero.npy"), [][]float32{make([]float32, 8)})
	writeNPY(t, p("ids2.npy"), npy.Int64, []int{2}, make([]byte, 16))
	writeNPY(t, p("ints.npy"), npy.Int32, []int{2, 8}, make([]byte, 64))
	os.WriteFile(p("junk.npy"), []byte("not numpy"), 0o644)
	before := tree(t, st)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", "--in", p("v.npy")}, 2, "--store is required"},
		{[]string{"import", "--store", st, "--in", p("v.npy"), "--metric", "hamming"}, 2, `unknown metric "hamming"`},
		{[]string{"import", "--store", st, "--in", p("v.npy"), "--dtype", "f64"}, 2, `unknown storage dtype "f64"`},
		{[]string{"import", "--store", st, "--in", p("v.npy"), "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"import", "--store", st, "--in", p("v.npy"), "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"import", "--store", st, "--in", p("missing.npy")}, 1, "no such file"},
		{[]string{"import", "--store", st, "--in", p("junk.npy")}, 1, "junk.npy: npy: malformed file"},
		{[]string{"import", "--store", st, "--in", p("ints.npy")}, 1, `vectors of type "<i4"`},
		{[]string{"import", "--store", st, "--in", p("v9.npy")}, 1, "dimension 9; the store's dimension is 8"},
		{[]string{"import", "--store", st, "--in", p("nan.npy")}, 1, "vector 3 (id 53) has NaN at index 2"},
		{[]string{"import", "--store", st, "--in", p("zero.npy")}, 1, "all zeros"},
		{[]string{"import", "--store", st, "--in", p("v.npy"), "--ids", p("ids2.npy")}, 1, "2 ids for the 50 vectors"},
		{[]string{"import", "--store", st, "--in", p("v.npy"), "--metric", "dot"}, 1, "the store's metric is cosine, the options ask for dot"},
		{[]string{"import", "--store", st, "--in", p("v.npy"), "--dtype", "i8"}, 1, "dtype is float32, the options ask for int8"},
		{[]string{"search", "--store", st, "--queries", p("v.npy")}, 2, "-k is required"},
		{[]string{"search", "--store", st, "--queries", p("v.npy"), "-k", "0"}, 1, "k = 0; want k >= 1"},
		{[]string{"search", "--store", st, "--queries", p("v9.npy"), "-k", "3"}, 1, "query 0 has 9 values"},
		{[]string{"search", "--store", p("nostore"), "--queries", p("v.npy"), "-k", "3"}, 1, "no such file"},
		{[]string{"info"}, 2, "--store is required"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	} {
		out, errs, code := silica(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "silica: ") {
			t.Errorf("silica %v: status %d, stderr %q; want status %d and one line containing %q", c.args, code, errs, c.code, c.want)
		}
		if out != "" {
			t.Errorf("silica %v printed %q on stdout", c.args, out)
		}
		if after := tree(t, st); len(after) != len(before) || !equalTrees(before, after) {
			t.Fatalf("silica %v changed the store", c.args)
		}
	}
	// A damaged store is reported, not replaced by an import.
	emb := filepath.Join(st, "v000001", "embeddings.npy")
	b, _ := os.ReadFile(emb)
	b[len(b)-3] ^= 0x10
	os.WriteFile(emb, b, 0o644)
	before = tree(t, st)
	_, errs, code := silica(t, "import", "--store", st, "--in", p("v.npy"))
	if code != 1 || !strings.Contains(errs, "embeddings.npy: checksum mismatch") {
		t.Errorf("import into a damaged store: %d %q", code, errs)
	}
	if !equalTrees(before, tree(t, st)) {
		t.Error("import into a damaged store changed it")
	}
	if out, _, code := silica(t, "help"); code != 0 || !strings.Contains(out, "silica search --store DIR") {
		t.Errorf("help: %d %q", code, out)
	}
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSkipChecksums damages a byte inside a store's rows: search and info
// refuse the store, naming the damage, unless --skip-checksums skips the
// checksum pass; a file cut short fails either way.
func TestSkipChecksums(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	r := rand.New(rand.NewPCG(5, 6))
	writeVectors(t, filepath.Join(dir, "v.npy"), randRows(r, 50, 9))
	writeVectors(t, filepath.Join(dir, "q.npy"), randRows(r, 2, 9))
	if out, errs, code := silica(t, "import", "--store", st, "--in", filepath.Join(dir, "v.npy")); code != 0 {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	search := []string{"search", "--store", st, "--queries", filepath.Join(dir, "q.npy"), "-k", "3"}
	want, _, code := silica(t, search...)
	if code != 0 {
		t.Fatalf("search: %d", code)
	}
	path, err := filepath.EvalSymlinks(filepath.Join(st, "embeddings.npy"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-5] ^= 0x40 // a float's exponent: the hits may change, not the files' shape
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{search, {"info", "--store", st}} {
		if _, errs, code := silica(t, cmd...); code != 1 || !strings.Contains(errs, "checksum mismatch") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s of a damaged store: %d %q", cmd[0], code, errs)
		}
		if out, errs, code := silica(t, append(cmd, "--skip-checksums")...); code != 0 || errs != "" || out == "" {
			t.Errorf("%s --skip-checksums of a damaged store: %d %q", cmd[0], code, errs)
		}
	}
	if out, _, _ := silica(t, append(search, "--skip-checksums")...); strings.Count(out, "\n") != strings.Count(want, "\n") {
		t.Errorf("search --skip-checksums printed %q; undamaged, %q", out, want)
	}
	if err := os.WriteFile(path, b[:len(b)-4], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := silica(t, append(search, "--skip-checksums")...); code != 1 || !strings.Contains(errs, "embeddings.npy") {
		t.Errorf("search --skip-checksums of a store cut short: %d %q", code, errs)
	}
}

// TestSearchOneQueryVector searches with a 1-D array (one vector, as
// sentence-transformers' encode of one text saves): the hits of the same
// vector as a 1 x d array. A 1-D array of the wrong length, or of none,
// is an error naming the file.
func TestSearchOneQueryVector(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	r := rand.New(rand.NewPCG(7, 8))
	writeVectors(t, filepath.Join(dir, "v.npy"), randRows(r, 40, 11))
	if out, errs, code := silica(t, "import", "--store", st, "--in", filepath.Join(dir, "v.npy")); code != 0 {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	q := randRows(r, 1, 11)
	var f16 []byte
	for _, x := range q[0] {
		f16 = binary.LittleEndian.AppendUint16(f16, uint16(half.FromFloat32(x)))
	}
	writeNPY(t, filepath.Join(dir, "q1.npy"), npy.Float16, []int{11}, f16)
	rounded := make([]float32, len(q[0]))
	for i, x := range q[0] {
		rounded[i] = half.Round16(x)
	}
	writeVectors(t, filepath.Join(dir, "q2h.npy"), [][]float32{rounded})
	want, errs, code := silica(t, "search", "--store", st, "--queries", filepath.Join(dir, "q2h.npy"), "-k", "5")
	if code != 0 {
		t.Fatalf("search of a 1 x d array: %d %q", code, errs)
	}
	got, errs, code := silica(t, "search", "--store", st, "--queries", filepath.Join(dir, "q1.npy"), "-k", "5")
	if code != 0 || got != want {
		t.Fatalf("search of a 1-D array: %d %q\n%s\nwant\n%s", code, errs, got, want)
	}
	writeNPY(t, filepath.Join(dir, "q10.npy"), npy.Float16, []int{10}, f16[:20])
	writeNPY(t, filepath.Join(dir, "q0.npy"), npy.Float32, []int{0}, nil)
	for _, c := range []struct{ file, want string }{{"q10.npy", "dimension"}, {"q0.npy", "want a 2-D array"}} {
		if _, errs, code := silica(t, "search", "--store", st, "--queries", filepath.Join(dir, c.file), "-k", "5"); code != 1 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("search of %s: %d %q; want an error containing %q", c.file, code, errs, c.want)
		}
	}
}
