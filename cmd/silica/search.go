package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/silica-go/silica/store"
)

// queryHits is one element of search --json's output.
type queryHits struct {
	Query int       `json:"query"`
	Hits  []jsonHit `json:"hits"`
}

type jsonHit struct {
	ID    int64   `json:"id"`
	Score float32 `json:"score"`
}

func searchCmd(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("search", flag.ContinueOnError)
	dir := fl.String("store", "", "store directory")
	qpath := fl.String("queries", "", "queries, a 2-D .npy array")
	text := fl.String("text", "", "one query as text, encoded by the store's model")
	model := fl.String("model", "", "with --text: the model (default: the one the store recorded)")
	k := fl.Int("k", 0, "results per query")
	asJSON := fl.Bool("json", false, "print one JSON array")
	layout := openFlags(fl)
	if err := parse(fl, args, "store", "k"); err != nil {
		return err
	}
	if (*qpath == "") == (*text == "") {
		return fmt.Errorf("%w: give --queries (vectors) or --text (a query text), one of them", errUsage)
	}
	var queries [][]float32
	var err error
	if *qpath != "" {
		if queries, err = readQueries(*qpath); err != nil {
			return err
		}
	}
	s, err := store.Open(*dir, layout())
	if err != nil {
		return err
	}
	defer s.Close()
	if *text != "" {
		q, err := textQuery(s, *text, *model)
		if err != nil {
			return err
		}
		queries = [][]float32{q}
	}
	res, err := s.SearchBatch(queries, *k)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]queryHits, len(res))
		for i, hits := range res {
			out[i] = queryHits{Query: i, Hits: make([]jsonHit, len(hits))}
			for j, h := range hits {
				out[i].Hits[j] = jsonHit{h.ID, h.Score}
			}
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	fmt.Fprintln(stdout, "query\trank\tid\tscore")
	for i, hits := range res {
		for j, h := range hits {
			if _, err := fmt.Fprintf(stdout, "%d\t%d\t%d\t%v\n", i, j+1, h.ID, h.Score); err != nil {
				return err
			}
		}
	}
	return nil
}
