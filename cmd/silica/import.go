package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
	"github.com/silica-go/silica/store/npy"
)

func importCmd(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("import", flag.ContinueOnError)
	dir := fl.String("store", "", "store directory")
	in := fl.String("in", "", "vectors, a 2-D .npy array")
	text := fl.String("text", "", "texts instead of vectors: one a line, or JSON lines {\"id\", \"text\"}")
	model := fl.String("model", "", "with --text: the model directory (or a model name in the Hugging Face cache)")
	idsPath := fl.String("ids", "", "ids, a 1-D int64 .npy array")
	metricName := fl.String("metric", "", "cosine, dot or l2")
	dtypeName := fl.String("dtype", "", "f32, f16 or i8")
	if err := parse(fl, args, "store"); err != nil {
		return err
	}
	switch {
	case (*in == "") == (*text == ""):
		return fmt.Errorf("%w: give --in (vectors) or --text (texts), one of them", errUsage)
	case *text != "" && *model == "":
		return fmt.Errorf("%w: --text needs --model (a model directory, e.g. all-MiniLM-L6-v2's)", errUsage)
	case *text != "" && *idsPath != "":
		return fmt.Errorf("%w: --ids is for --in; a JSON lines --text file carries its ids", errUsage)
	}
	var opts store.Options
	var err error
	if *metricName != "" {
		if opts.Metric, err = store.ParseMetric(*metricName); err != nil {
			return fmt.Errorf("%w: --metric: %v", errUsage, err)
		}
	}
	if *dtypeName != "" {
		if opts.DType, err = store.ParseDType(*dtypeName); err != nil {
			return fmt.Errorf("%w: --dtype: %v", errUsage, err)
		}
	}
	if *text != "" {
		return importTexts(*dir, *text, *model, opts, stdout)
	}
	// The vectors are views of the file where they can be (no copy in
	// memory beside the store's), valid until the import returns.
	v, err := store.OpenNPY(*in)
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return err // names the file already
	} else if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	defer v.Close()
	vecs, dim := v.Rows, v.Dim
	var ids []int64
	if *idsPath != "" {
		if ids, err = readIDs(*idsPath); err != nil {
			return err
		}
		if len(ids) != len(vecs) {
			return fmt.Errorf("%s holds %d ids for the %d vectors of %s", *idsPath, len(ids), len(vecs), *in)
		}
	}
	if len(vecs) == 0 {
		// Nothing to add: no new store version, no new store.
		fmt.Fprintf(stdout, "%s holds no vectors: nothing imported, %s unchanged\n", *in, *dir)
		return nil
	}
	s, created, err := openOrCreate(*dir, dim, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	if len(vecs) > 0 && dim != s.Dim() {
		return fmt.Errorf("%s holds vectors of dimension %d; the store's dimension is %d", *in, dim, s.Dim())
	}
	if ids != nil {
		err = s.Add(ids, vecs)
	} else {
		_, err = s.Append(vecs)
	}
	if err != nil {
		return err
	}
	if err := s.Save(*dir); err != nil {
		return err
	}
	verb := "extended"
	if created {
		verb = "created"
	}
	fmt.Fprintf(stdout, "%s %s: imported %d vectors; %d vectors of dimension %d, %s, %s\n",
		verb, *dir, len(vecs), s.Len(), s.Dim(), s.DType(), s.Metric())
	return nil
}

// openOrCreate opens the store in dir, or makes a new one if dir is
// missing or empty. A directory that holds anything else is opened, so
// that a damaged store is reported rather than replaced.
func openOrCreate(dir string, dim int, opts store.Options) (*store.Store, bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if len(entries) > 0 {
		s, err := store.Open(dir, opts)
		return s, false, err
	}
	opts.Dim = dim
	if opts.DType == engine.InvalidDType {
		opts.DType = engine.Float32
	}
	s, err := store.New(opts)
	return s, true, err
}

// readQueries reads search's queries: a 2-D array of vectors, or a 1-D
// array read as one vector (what sentence-transformers' encode of one
// text gives).
func readQueries(path string) ([][]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The header is read once, from a copy of the bytes it takes; the
	// data follows it in the file, behind that copy, or behind a 1-D
	// array's header rewritten as 1 x d. (No seek: a pipe works too.)
	var head bytes.Buffer
	if h, _, err := npy.ReadHeader(io.TeeReader(f, &head)); err == nil && len(h.Shape) == 1 && h.Shape[0] > 0 {
		h.Shape = []int{1, h.Shape[0]}
		if b, err := h.Encode(); err == nil {
			head.Reset()
			head.Write(b)
		}
	}
	r := io.MultiReader(&head, f)
	vecs, _, err := store.ReadNPY(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return vecs, nil
}

func readIDs(path string) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := store.ReadNPYIDs(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ids, nil
}
