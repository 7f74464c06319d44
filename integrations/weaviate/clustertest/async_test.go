package clustertest

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestAsyncIndexing runs one node with ASYNC_INDEXING=true, where Weaviate
// hands the index its vectors from a queue, in batches (AddBatch), after
// the write is acknowledged: once every shard's queue is empty, queries are
// checked against brute force, and again after deletes and a restart.
func TestAsyncIndexing(t *testing.T) {
	ctx, c := startCluster(t, 1, 5*time.Minute, "ASYNC_INDEXING=true")
	rng := rand.New(rand.NewPCG(5, 8))
	m := &model{class: "SilicaAsync", distance: "cosine", objs: map[string]object{}}
	models := []*model{m}
	createCollection(ctx, t, c, m, 1)
	next := 0
	for range 4 {
		objs := map[string]object{}
		for range 250 {
			objs[uuidOf(next)] = object{randVec(rng), next % groups}
			next++
		}
		acked, err := insert(ctx, c.nodes[0], m, objs)
		if err != nil || len(acked) != len(objs) {
			t.Fatalf("%d of %d objects acknowledged: %v", len(acked), len(objs), err)
		}
		for id, o := range objs {
			m.objs[id] = o
		}
	}
	waitIndexed(ctx, t, c.nodes[0], m.class)
	check(ctx, t, "async: after inserts", c, models, rng)

	for i := range 100 {
		id := uuidOf(i * 7)
		if err := call(ctx, "DELETE", c.nodes[0].url("/v1/objects/"+m.class+"/"+id), nil, nil); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
		delete(m.objs, id)
	}
	waitIndexed(ctx, t, c.nodes[0], m.class)
	check(ctx, t, "async: after deletes", c, models, rng)

	c.nodes[0].stop()
	c.startAll(ctx)
	waitIndexed(ctx, t, c.nodes[0], m.class)
	check(ctx, t, "async: after a restart", c, models, rng)
}

// waitIndexed polls the node's shard status until every shard of class has
// an empty vector queue and its indexing status is READY.
func waitIndexed(ctx context.Context, t *testing.T, n *node, class string) {
	t.Helper()
	for {
		var out struct {
			Nodes []struct {
				Shards []struct {
					Class                string `json:"class"`
					VectorIndexingStatus string `json:"vectorIndexingStatus"`
					VectorQueueLength    int64  `json:"vectorQueueLength"`
				} `json:"shards"`
			} `json:"nodes"`
		}
		err := call(ctx, "GET", n.url("/v1/nodes/"+class+"?output=verbose"), nil, &out)
		done, shards := err == nil, 0
		for _, nd := range out.Nodes {
			for _, s := range nd.Shards {
				if s.Class == class {
					shards++
					if s.VectorQueueLength != 0 || s.VectorIndexingStatus != "READY" {
						done = false
					}
				}
			}
		}
		if done && shards > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: the vector queues of %s did not empty before the test's deadline (%v)", n.name, class, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
