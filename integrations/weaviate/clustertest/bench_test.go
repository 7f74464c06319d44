package clustertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/silica-go/silica/internal/testenv"
)

// TestBench compares Silica's index with Weaviate's own flat (exact) and
// hnsw indexes on one three-node cluster (3 shards, replication factor 2),
// on the same objects and queries, top 10 unfiltered and filtered (one group
// of five), queries sent one at a time to node0: latency p50 and p99,
// queries/s, and recall@10 against float64 brute force. It runs only with
// SILICA_WEAVIATE_BENCH=1 (SILICA_WEAVIATE_BENCH_N objects, default 20000,
// of dimension SILICA_WEAVIATE_BENCH_DIM, default 128; the indexes
// SILICA_WEAVIATE_BENCH_INDEXES names, default "silica,flat,hnsw"), prints a
// Markdown table and writes it to SILICA_WEAVIATE_BENCH_OUT if set. It
// asserts nothing about time. Large runs need go test's -timeout raised.
func TestBench(t *testing.T) {
	if os.Getenv("SILICA_WEAVIATE_BENCH") != "1" {
		testenv.SkipBecause(t, "the benchmark runs with SILICA_WEAVIATE_BENCH=1")
	}
	n, vdim := envInt("SILICA_WEAVIATE_BENCH_N", 20000), envInt("SILICA_WEAVIATE_BENCH_DIM", 128)
	const queries, warm, k = 200, 20, 10
	bin := binary(t)
	models, err := benchModels(os.Getenv("SILICA_WEAVIATE_BENCH_INDEXES"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
	defer cancel()
	c := newCluster(t, bin, t.TempDir(), 3)
	c.startAll(ctx)
	rng := rand.New(rand.NewPCG(42, 1))
	vec := func() []float32 {
		v := make([]float32, vdim)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	objs := map[string]object{}
	for i := range n {
		objs[uuidOf(i)] = object{vec(), i % groups}
	}
	for _, m := range models {
		m.objs = objs
	}
	ids := make([]string, 0, n)
	for id := range objs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, m := range models {
		createCollection(ctx, t, c, m, 2)
		start := time.Now()
		for lo := 0; lo < n; lo += 500 {
			batch := map[string]object{}
			for _, id := range ids[lo:min(lo+500, n)] {
				batch[id] = objs[id]
			}
			acked, err := insert(ctx, c.nodes[lo/500%3], m, batch)
			if err != nil || len(acked) != len(batch) {
				t.Fatalf("%s: %d of %d objects acknowledged: %v", m.class, len(acked), len(batch), err)
			}
		}
		t.Logf("%s: %d objects inserted in %v", m.class, n, time.Since(start).Round(time.Millisecond))
	}
	qs := make([][]float32, warm+queries)
	for i := range qs {
		qs[i] = vec()
	}
	var rows []string
	for _, g := range []int{-1, 0} {
		// The reference top k of each query, computed once for every index
		// (they hold the same objects under the same distance).
		want := make([]map[string]bool, len(qs))
		for i, q := range qs[warm:] {
			want[warm+i] = map[string]bool{}
			for _, r := range models[0].rank(q, g)[:k] {
				want[warm+i][r.id] = true
			}
		}
		for _, m := range models {
			var lat []time.Duration
			found := 0
			var total time.Duration
			for i, q := range qs {
				start := time.Now()
				hits, err := nearVector(ctx, c.nodes[0], m, q, k, -1, g)
				d := time.Since(start)
				if err != nil {
					t.Fatalf("%s: %v", m.class, err)
				}
				if i < warm {
					continue
				}
				lat = append(lat, d)
				total += d
				for _, h := range hits {
					if want[i][h.id] {
						found++
					}
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			filter := "none"
			if g >= 0 {
				filter = "group = 0 (1 in 5)"
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %.2f | %.2f | %.0f | %.3f |",
				indexName(m), filter, ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]),
				float64(queries)/total.Seconds(), float64(found)/float64(queries*k)))
		}
	}
	table := fmt.Sprintf("%d objects of dimension %d, cosine, 3 nodes, 3 shards, replication factor 2; %d queries of the top %d, one at a time, to node0\n\n", n, vdim, queries, k) +
		"| index | filter | p50 ms | p99 ms | queries/s | recall@10 |\n| --- | --- | --- | --- | --- | --- |\n" +
		strings.Join(rows, "\n") + "\n"
	t.Log("\n" + table)
	if out := os.Getenv("SILICA_WEAVIATE_BENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// benchModels returns the benchmark's collections for a comma-separated
// list of index types (silica, flat, hnsw; empty: all three).
func benchModels(list string) ([]*model, error) {
	if list == "" {
		list = "silica,flat,hnsw"
	}
	var models []*model
	for _, name := range strings.Split(list, ",") {
		switch strings.TrimSpace(name) {
		case "silica":
			models = append(models, &model{class: "BenchSilica", distance: "cosine"})
		case "flat":
			models = append(models, &model{class: "BenchFlat", distance: "cosine", index: "flat"})
		case "hnsw":
			models = append(models, &model{class: "BenchHNSW", distance: "cosine", index: "hnsw"})
		default:
			return nil, fmt.Errorf("SILICA_WEAVIATE_BENCH_INDEXES: unknown index %q (silica, flat, hnsw)", name)
		}
	}
	return models, nil
}

func indexName(m *model) string {
	if m.index == "" {
		return "silica (" + nodeBackend() + ")"
	}
	return m.index
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// envInt reads a positive integer from the environment, or returns def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
