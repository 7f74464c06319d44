package main

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

// exactSearch is a brute-force top-k in float64 over the scorer's rows:
// values and indices, best first, ties to the smaller index.
func exactSearch(s *scorer, queries *tensor, k int) (vals []float32, idx []int64) {
	d := queries.cols()
	buf := make([]float64, d)
	for r := range queries.rows() {
		q := s.query(queries.F32[r*d : (r+1)*d])
		order := make([]int, s.data.rows())
		scores := make([]float64, len(order))
		for i := range order {
			order[i], scores[i] = i, s.score(q, i, buf)
		}
		slices.SortStableFunc(order, func(a, b int) int {
			if s.largest() {
				return cmp.Compare(scores[b], scores[a])
			}
			return cmp.Compare(scores[a], scores[b])
		})
		for _, i := range order[:k] {
			vals = append(vals, float32(scores[i]))
			idx = append(idx, int64(i))
		}
	}
	return vals, idx
}

func TestSearchCheck(t *testing.T) {
	const n, d, k = 57, 9, 10
	for _, metric := range []store.Metric{store.Cosine, store.Dot, store.L2} {
		data := randomNormal("data", 5, n, d)
		copy(data.F32[7*d:8*d], data.F32[3*d:4*d]) // rows 3 and 7 tie for every query
		queries := randomNormal("queries", 6, 3, d)
		copy(queries.F32[0:d], data.F32[3*d:4*d]) // query 0 finds the tied rows among its best
		s := newScorer(&data, engine.Float32, metric)
		vals, idx := exactSearch(s, &queries, k)
		expect := [][]float32{vals[:k], vals[k : 2*k], vals[2*k:]}
		out := func(v []float32, ix []int64) []tensor {
			return []tensor{{Shape: []int{3, k}, F32: v}, {Shape: []int{3, k}, I64: ix}}
		}
		if err := searchCheck(s, out(vals, idx), &queries, 0, expect, engine.Float32, k); err != nil {
			t.Fatalf("%s: the exact answer fails: %v", metric, err)
		}

		// Tied rows in either order.
		j := slices.Index(idx[:k], 3)
		if j < 0 || j+1 >= k || idx[j+1] != 7 {
			t.Fatalf("%s: query 0 should find the tied rows 3 and 7 side by side, found %v", metric, idx[:k])
		}
		swapped := slices.Clone(idx)
		swapped[j], swapped[j+1] = 7, 3
		if err := searchCheck(s, out(vals, swapped), &queries, 0, expect, engine.Float32, k); err != nil {
			t.Errorf("%s: tied rows swapped: %v", metric, err)
		}

		bad := []struct {
			name string
			edit func(v []float32, ix []int64)
			want string
		}{
			{"missed the best row", func(v []float32, ix []int64) {
				// Query 1 answers ranks 2..k+1: its best row is missing.
				_, all := exactSearch(s, &tensor{Shape: []int{1, d}, F32: queries.F32[d : 2*d]}, k+1)
				q := s.query(queries.F32[d : 2*d])
				for j := range k {
					ix[k+j] = all[j+1]
					v[k+j] = float32(s.score(q, int(all[j+1]), make([]float64, d)))
				}
			}, "a better row was missed"},
			{"score of another row", func(v []float32, ix []int64) { v[2*k+4] = v[2*k+3] + 0.7 }, "has score"},
			{"index out of range", func(v []float32, ix []int64) { ix[5] = n }, "out of [0, 57)"},
			{"negative index", func(v []float32, ix []int64) { ix[5] = -1 }, "out of [0, 57)"},
			{"repeated index", func(v []float32, ix []int64) { ix[k+2] = ix[k+1] }, "repeated"},
			{"NaN score", func(v []float32, ix []int64) { v[3] = float32(math.NaN()) }, "has score"},
		}
		for _, tc := range bad {
			v, ix := slices.Clone(vals), slices.Clone(idx)
			tc.edit(v, ix)
			err := searchCheck(s, out(v, ix), &queries, 0, expect, engine.Float32, k)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s, %s: %v, want an error containing %q", metric, tc.name, err, tc.want)
			}
		}
	}
}

func TestCloseTo(t *testing.T) {
	nan := float32(math.NaN())
	tol := func(int) float64 { return 0.01 }
	if err := closeTo([]float32{1, 2.005, nan}, []float32{1, 2, nan}, []int{3}, tol); err != nil {
		t.Errorf("within tolerance, NaN where NaN is due: %v", err)
	}
	err := closeTo([]float32{1, nan, 3.5, 4}, []float32{1, 2, 3, 4}, []int{2, 2}, tol)
	if err == nil || !strings.Contains(err.Error(), "2 of 4 elements off") || !strings.Contains(err.Error(), "worst at [0 1]") {
		t.Errorf("NaN and a wrong number: %v", err)
	}
	if err := equalTo([]float32{1, 2}, []float32{1, 2.0000002}, []int{2}); err == nil {
		t.Errorf("equalTo accepted a different float")
	}
}
