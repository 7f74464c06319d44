package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/silica-go/silica/encode"
	"github.com/silica-go/silica/store"
)

// progressOut receives progress lines of long commands (run sets it to
// stderr).
var progressOut io.Writer = io.Discard

// progressEvery is the least time between two progress lines of a long
// encode.
var progressEvery = 2 * time.Second

// loadEncoder loads the model that name means (a directory, or a model
// of the local Hugging Face cache: encode.Find), on the default engine,
// reporting progress of long encodes.
func loadEncoder(name string) (*encode.Encoder, error) {
	dir, err := encode.Find(name)
	if err != nil {
		return nil, err
	}
	last := time.Now()
	return encode.Load(dir, encode.Options{Progress: func(done, total int) {
		if time.Since(last) > progressEvery || done == total && total > 1000 {
			last = time.Now()
			fmt.Fprintf(progressOut, "silica: encoded %d of %d texts\n", done, total)
		}
	}})
}

// readTexts reads a text file for import --text: one text a line, or
// JSON lines {"id": int64, "text": string} (every non-blank line an
// object). ids is nil for plain lines. Blank lines of a plain file are
// skipped.
func readTexts(path string) (ids []int64, texts []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var lines []string
	for sc.Scan() {
		if l := strings.TrimRight(sc.Text(), "\r"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(lines) == 0 || !strings.HasPrefix(strings.TrimSpace(lines[0]), "{") {
		return nil, lines, nil
	}
	seen := map[int64]int{}
	for i, l := range lines {
		var rec struct {
			ID   *int64  `json:"id"`
			Text *string `json:"text"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			return nil, nil, fmt.Errorf("%s: line %d: %v (a JSON lines file needs {\"id\": N, \"text\": \"...\"} on every line)", path, i+1, err)
		}
		if rec.ID == nil || rec.Text == nil {
			return nil, nil, fmt.Errorf("%s: line %d: want both \"id\" (an integer) and \"text\"", path, i+1)
		}
		if j, dup := seen[*rec.ID]; dup {
			return nil, nil, fmt.Errorf("%s: id %d on lines %d and %d", path, *rec.ID, j+1, i+1)
		}
		seen[*rec.ID] = i
		ids = append(ids, *rec.ID)
		texts = append(texts, *rec.Text)
	}
	return ids, texts, nil
}

// importTexts is import --text: the texts of path encoded with model and
// added to the store in dir (made if missing, the vectors' dimension the
// model's).
func importTexts(dir, path, model string, opts store.Options, stdout io.Writer) error {
	ids, texts, err := readTexts(path)
	if err != nil {
		return err
	}
	if len(texts) == 0 {
		fmt.Fprintf(stdout, "%s holds no texts: nothing imported, %s unchanged\n", path, dir)
		return nil
	}
	enc, err := loadEncoder(model)
	if err != nil {
		return err
	}
	defer enc.Close()
	s, created, err := openOrCreate(dir, enc.Dim(), opts)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetEncoder(enc); err != nil {
		return err
	}
	start := time.Now()
	vecs, err := enc.Encode(texts)
	if err != nil {
		return err
	}
	took := time.Since(start)
	if ids != nil {
		err = s.Add(ids, vecs)
	} else {
		_, err = s.Append(vecs)
	}
	if err != nil {
		return err
	}
	if err := s.Save(dir); err != nil {
		return err
	}
	verb := "extended"
	if created {
		verb = "created"
	}
	fmt.Fprintf(stdout, "%s %s: imported %d texts encoded by %s in %.1f s (%.0f texts/s); %d vectors of dimension %d, %s, %s\n",
		verb, dir, len(texts), enc.Name(), took.Seconds(), float64(len(texts))/took.Seconds(), s.Len(), s.Dim(), s.DType(), s.Metric())
	return nil
}

// textQuery encodes search --text's query with model, or with the model
// the store recorded when model is empty.
func textQuery(s *store.Store, text, model string) ([]float32, error) {
	if model == "" {
		m := s.Model()
		if m == nil {
			return nil, fmt.Errorf("%w: --text: the store holds no text model's vectors; give --model", errUsage)
		}
		if model = m.Dir; model == "" {
			model = m.Name
		}
	}
	enc, err := loadEncoder(model)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	if err := s.SetEncoder(enc); err != nil {
		return nil, err
	}
	v, err := enc.Encode([]string{text})
	if err != nil {
		return nil, err
	}
	return v[0], nil
}
