package clustertest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
)

const (
	dim     = 16
	groups  = 5
	distTol = 1e-4 // float32 distances of the test's magnitudes against the float64 reference
)

// object is the reference's copy of an object.
type object struct {
	vec   []float32
	group int
}

// model is a collection as the cluster must hold it: every acknowledged
// write, and Weaviate's distance of its index.
type model struct {
	class    string
	distance string // "cosine", "dot" or "l2-squared"
	target   string // the named vector the index serves; "": the collection's one vector
	index    string // the vectorIndexType; "": silica
	tenant   string // the tenant of a multi-tenant collection; "": not multi-tenant
	objs     map[string]object
}

// dist is Weaviate's distance of the model's metric, in float64: cosine
// 1 - cos, dot -dot, l2-squared the squared distance.
func (m *model) dist(a, b []float32) float64 {
	var dot, aa, bb, l2 float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		aa += x * x
		bb += y * y
		l2 += (x - y) * (x - y)
	}
	switch m.distance {
	case "dot":
		return -dot
	case "l2-squared":
		return l2
	}
	return 1 - dot/math.Sqrt(aa*bb)
}

func uuidOf(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i) }

func randVec(rng *rand.Rand) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

type ranked struct {
	id string
	d  float64
}

// rank returns the model's objects of group g (any group for g < 0),
// closest to q first.
func (m *model) rank(q []float32, g int) []ranked {
	var out []ranked
	for id, o := range m.objs {
		if g < 0 || o.group == g {
			out = append(out, ranked{id, m.dist(q, o.vec)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].d < out[j].d || out[i].d == out[j].d && out[i].id < out[j].id })
	return out
}

// batchObject is an object of a batch insert.
type batchObject struct {
	Class      string               `json:"class"`
	Tenant     string               `json:"tenant,omitempty"`
	ID         string               `json:"id"`
	Properties map[string]any       `json:"properties"`
	Vector     []float32            `json:"vector,omitempty"`
	Vectors    map[string][]float32 `json:"vectors,omitempty"`
}

// insert writes objects through node n with consistency ALL and returns the
// ids the cluster acknowledged.
func insert(ctx context.Context, n *node, m *model, objs map[string]object) ([]string, error) {
	var body struct {
		Objects []batchObject `json:"objects"`
	}
	for id, o := range objs {
		b := batchObject{Class: m.class, ID: id, Tenant: m.tenant,
			Properties: map[string]any{"title": "doc " + id, "group": o.group}}
		if m.target == "" {
			b.Vector = o.vec
		} else {
			b.Vectors = map[string][]float32{m.target: o.vec}
		}
		body.Objects = append(body.Objects, b)
	}
	var out []struct {
		ID     string `json:"id"`
		Result struct {
			Errors *struct {
				Error []struct{ Message string } `json:"error"`
			} `json:"errors"`
		} `json:"result"`
	}
	if err := call(ctx, "POST", n.url("/v1/batch/objects?consistency_level=ALL"), body, &out); err != nil {
		return nil, err
	}
	var acked []string
	var firstErr error
	for _, r := range out {
		if r.Result.Errors == nil || len(r.Result.Errors.Error) == 0 {
			acked = append(acked, r.ID)
		} else if firstErr == nil {
			firstErr = fmt.Errorf("object %s: %s", r.ID, r.Result.Errors.Error[0].Message)
		}
	}
	return acked, firstErr
}

// hit is one result of a nearVector query.
type hit struct {
	id    string
	group int
	d     float64
}

// nearVector runs a GraphQL nearVector query on node n: the top limit
// (limit > 0) or everything within distance (distance >= 0), of group g
// (g >= 0) or of every group.
func nearVector(ctx context.Context, n *node, m *model, q []float32, limit int, distance float64, g int) ([]hit, error) {
	vec := make([]string, len(q))
	for i, x := range q {
		vec[i] = fmt.Sprint(x)
	}
	args := fmt.Sprintf("nearVector: {vector: [%s]", strings.Join(vec, ","))
	if m.target != "" {
		args += fmt.Sprintf(", targetVectors: [%q]", m.target)
	}
	if distance >= 0 {
		args += fmt.Sprintf(", distance: %v", distance)
	}
	args += "}"
	if limit > 0 {
		args += fmt.Sprintf(", limit: %d", limit)
	}
	if g >= 0 {
		args += fmt.Sprintf(`, where: {path: ["group"], operator: Equal, valueInt: %d}`, g)
	}
	if m.tenant != "" {
		args += fmt.Sprintf(", tenant: %q", m.tenant)
	}
	query := fmt.Sprintf("{ Get { %s(%s) { group _additional { id distance } } } }", m.class, args)
	var out struct {
		Data struct {
			Get map[string][]struct {
				Group      int `json:"group"`
				Additional struct {
					ID       string  `json:"id"`
					Distance float64 `json:"distance"`
				} `json:"_additional"`
			} `json:"Get"`
		} `json:"data"`
		Errors []struct{ Message string } `json:"errors"`
	}
	if err := call(ctx, "POST", n.url("/v1/graphql"), map[string]string{"query": query}, &out); err != nil {
		return nil, err
	}
	if len(out.Errors) > 0 {
		return nil, fmt.Errorf("%s: graphql: %s", n.name, out.Errors[0].Message)
	}
	var hits []hit
	for _, r := range out.Data.Get[m.class] {
		hits = append(hits, hit{r.Additional.ID, r.Group, r.Additional.Distance})
	}
	return hits, nil
}

// compare checks hits against the reference's first len(want) objects:
// the i-th distance within distTol of the reference's i-th, each hit's
// distance its own reference distance, its group the model's, no id twice.
// Ties may come in any order.
func compare(m *model, q []float32, want []ranked, hits []hit) error {
	if len(hits) != len(want) {
		return fmt.Errorf("%d hits; the reference has %d", len(hits), len(want))
	}
	seen := map[string]bool{}
	for i, h := range hits {
		o, ok := m.objs[h.id]
		if !ok || seen[h.id] {
			return fmt.Errorf("hit %d is %s: not in the reference, or twice", i, h.id)
		}
		seen[h.id] = true
		if o.group != h.group {
			return fmt.Errorf("hit %d (%s) has group %d; the reference %d", i, h.id, h.group, o.group)
		}
		if d := m.dist(q, o.vec); math.Abs(h.d-d) > distTol {
			return fmt.Errorf("hit %d (%s) has distance %v; the reference %v", i, h.id, h.d, d)
		}
		if math.Abs(h.d-want[i].d) > distTol {
			return fmt.Errorf("hit %d has distance %v; the reference's %d-th is %v (%s)", i, h.d, i, want[i].d, want[i].id)
		}
	}
	return nil
}

// boundAt returns a distance halfway between the n-th and (n+1)-th of
// ranked (n counted from 1), moving n up until they are 1e-3 apart, so that
// no tolerance decides what is within it. With nothing ranked it is 1, a
// cosine distance that many random vectors are within.
func boundAt(r []ranked, n int) float64 {
	if len(r) == 0 {
		return 1
	}
	for n < len(r) && r[n].d-r[n-1].d < 1e-3 {
		n++
	}
	if n >= len(r) {
		return r[len(r)-1].d + 1e-3
	}
	return (r[n-1].d + r[n].d) / 2
}

// check runs top-k and distance queries, unfiltered and filtered by group,
// on every node, for every model, against the model; the collection's count
// must be the model's too.
func check(ctx context.Context, t *testing.T, stage string, c *cluster, models []*model, rng *rand.Rand) {
	t.Helper()
	for _, m := range models {
		for _, n := range c.nodes {
			for qi := range 3 {
				q := randVec(rng)
				for _, g := range []int{-1, qi % groups} {
					all := m.rank(q, g)
					for _, k := range []int{1, 10, 100} {
						hits, err := nearVector(ctx, n, m, q, k, -1, g)
						if err != nil {
							t.Fatalf("%s: %s: %s: top %d (group %d): %v", stage, m.class, n.name, k, g, err)
						}
						if err := compare(m, q, all[:min(k, len(all))], hits); err != nil {
							diagnose(ctx, t, c, m, all[:min(k, len(all))], hits)
							t.Fatalf("%s: %s: %s: top %d (group %d): %v", stage, m.class, n.name, k, g, err)
						}
					}
					// Weaviate v1.39.0 turns a negative distance threshold
					// (dot distances are negative for close vectors) into a
					// top 100 (SearchByVector, k = 100), above the index
					// (whose own tests cover negative bounds): keep this
					// threshold positive.
					within := 25
					if m.distance == "dot" {
						for _, r := range all {
							if r.d <= 0 {
								within++
							}
						}
					}
					bound := boundAt(all, min(within, len(all)))
					var want []ranked
					for _, r := range all {
						if r.d <= bound {
							want = append(want, r)
						}
					}
					hits, err := nearVector(ctx, n, m, q, 0, bound, g)
					if err != nil {
						t.Fatalf("%s: %s: %s: distance %v (group %d): %v", stage, m.class, n.name, bound, g, err)
					}
					if err := compare(m, q, want, hits); err != nil {
						t.Fatalf("%s: %s: %s: distance %v (group %d): %v", stage, m.class, n.name, bound, g, err)
					}
				}
			}
			var agg struct {
				Data struct {
					Aggregate map[string][]struct {
						Meta struct{ Count int } `json:"meta"`
					} `json:"Aggregate"`
				} `json:"data"`
			}
			q := fmt.Sprintf("{ Aggregate { %s { meta { count } } } }", m.class)
			if m.tenant != "" {
				q = fmt.Sprintf("{ Aggregate { %s(tenant: %q) { meta { count } } } }", m.class, m.tenant)
			}
			if err := call(ctx, "POST", n.url("/v1/graphql"), map[string]string{"query": q}, &agg); err != nil {
				t.Fatalf("%s: %s: %s: count: %v", stage, m.class, n.name, err)
			}
			if a := agg.Data.Aggregate[m.class]; len(a) != 1 || a[0].Meta.Count != len(m.objs) {
				t.Fatalf("%s: %s: %s: the collection counts %v objects; the reference %d", stage, m.class, n.name, a, len(m.objs))
			}
		}
	}
}

// createCollection makes a collection of 3 shards with the model's index
// type (silica unless it says) and distance, and the given replication
// factor.
func createCollection(ctx context.Context, t *testing.T, c *cluster, m *model, replicas int) {
	t.Helper()
	indexType, index := "silica", map[string]any{"distance": m.distance, "backend": "cpu"}
	if m.index != "" {
		indexType, index = m.index, map[string]any{"distance": m.distance}
	}
	schema := map[string]any{
		"class":             m.class,
		"shardingConfig":    map[string]any{"desiredCount": 3},
		"replicationConfig": map[string]any{"factor": replicas},
		"properties": []map[string]any{
			{"name": "title", "dataType": []string{"text"}},
			{"name": "group", "dataType": []string{"int"}},
		},
	}
	if m.tenant != "" {
		// A shard per tenant.
		delete(schema, "shardingConfig")
		schema["multiTenancyConfig"] = map[string]any{"enabled": true}
	}
	if m.target == "" {
		schema["vectorizer"] = "none"
		schema["vectorIndexType"] = indexType
		schema["vectorIndexConfig"] = index
	} else {
		schema["vectorConfig"] = map[string]any{m.target: map[string]any{
			"vectorizer":        map[string]any{"none": map[string]any{}},
			"vectorIndexType":   indexType,
			"vectorIndexConfig": index,
		}}
	}
	if err := call(ctx, "POST", c.nodes[0].url("/v1/schema"), schema, nil); err != nil {
		t.Fatalf("create the collection %s: %v", m.class, err)
	}
}

// TestCluster runs a three-node cluster with four collections (cosine,
// dot, l2-squared, and cosine on a named vector) of three shards each,
// replication factor 2 and vectorIndexType silica, and checks queries on
// every node against brute force after inserts, updates and deletes (of the
// cosine collection), a kill -9 of a node during inserts and its restart,
// and a restart of all.
func TestCluster(t *testing.T) {
	bin := binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	if d, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, d.Add(-30*time.Second))
		defer cancel()
	}
	c := newCluster(t, bin, t.TempDir(), 3)
	c.startAll(ctx)
	for _, n := range c.nodes {
		bad, err := nonLoopback(n.cmd.Process.Pid)
		if err != nil {
			t.Fatalf("%s: read its sockets: %v", n.name, err)
		}
		if len(bad) > 0 {
			t.Fatalf("%s listens beyond loopback: %v", n.name, bad)
		}
	}

	m := &model{class: "SilicaDoc", distance: "cosine", objs: map[string]object{}}
	other := &model{class: "SilicaDot", distance: "dot", objs: map[string]object{}}
	third := &model{class: "SilicaL2", distance: "l2-squared", objs: map[string]object{}}
	named := &model{class: "SilicaNamed", distance: "cosine", target: "v", objs: map[string]object{}}
	models := []*model{m, other, third, named}
	for _, x := range models {
		createCollection(ctx, t, c, x, 2)
	}
	// A refused configuration is a clear error.
	bad := map[string]any{"class": "SilicaBad", "vectorIndexType": "silica",
		"vectorIndexConfig": map[string]any{"pq": map[string]any{"enabled": true}}}
	if err := call(ctx, "POST", c.nodes[0].url("/v1/schema"), bad, nil); err == nil || !strings.Contains(err.Error(), "compression pq is not supported") {
		t.Fatalf("a silica collection with pq: %v; want the index's refusal", err)
	}

	rng := rand.New(rand.NewPCG(7, 11))
	next := 0
	newObjects := func(n int) map[string]object {
		objs := map[string]object{}
		for range n {
			objs[uuidOf(next)] = object{randVec(rng), next % groups}
			next++
		}
		return objs
	}
	insertAll := func(stage string, n *node, m *model, objs map[string]object) {
		t.Helper()
		acked, err := insert(ctx, n, m, objs)
		if err != nil || len(acked) != len(objs) {
			t.Fatalf("%s: %s: %d of %d objects acknowledged: %v", stage, m.class, len(acked), len(objs), err)
		}
		for id, o := range objs {
			m.objs[id] = o
		}
	}
	for i := range 6 {
		insertAll("insert", c.nodes[i%3], m, newObjects(100))
	}
	// The other distances: fewer objects, written once.
	insertAll("insert", c.nodes[1], other, newObjects(200))
	insertAll("insert", c.nodes[2], third, newObjects(200))
	insertAll("insert", c.nodes[0], named, newObjects(200))
	check(ctx, t, "after inserts", c, models, rng)

	// Updates (new vectors and groups) and deletes, through different nodes.
	ids := make([]string, 0, len(m.objs))
	for id := range m.objs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	upd := map[string]object{}
	for _, id := range ids[:40] {
		upd[id] = object{randVec(rng), rng.IntN(groups)}
	}
	insertAll("update", c.nodes[1], m, upd)
	for i, id := range ids[40:80] {
		if err := call(ctx, "DELETE", c.nodes[i%3].url("/v1/objects/"+m.class+"/"+id+"?consistency_level=ALL"), nil, nil); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
		delete(m.objs, id)
	}
	check(ctx, t, "after updates and deletes", c, models, rng)

	// kill -9 of node1 during inserts through node0: what the cluster
	// acknowledged must be there after node1's restart; what it did not is
	// written again, as a client would.
	//
	// Weaviate's ALL counts the replicas its membership list still holds
	// (cluster/router drops the nodes it cannot resolve), so once node1 is
	// declared dead, writes to its shards are acknowledged by the other
	// replica alone, and node1 comes back without them. Weaviate repairs
	// such a replica when an object is read with consistency ALL (read
	// repair); the test reads each such object so, and its presence there
	// is the check that no acknowledged write was lost.
	pending := map[string]object{}
	var outage []string // acknowledged while node1 was down
	for b := range 12 {
		if b == 4 {
			c.nodes[1].kill()
		}
		objs := newObjects(25)
		acked, _ := insert(ctx, c.nodes[0], m, objs)
		for _, id := range acked {
			m.objs[id] = objs[id]
			delete(objs, id)
			if b >= 4 {
				outage = append(outage, id)
			}
		}
		for id, o := range objs {
			pending[id] = o
		}
	}
	if len(pending) == 0 {
		t.Fatalf("no insert failed while node1 was down: the kill did not take")
	}
	t.Logf("while node1 was down, %d objects were acknowledged and %d not", len(outage), len(pending))
	c.startAll(ctx)
	for i, id := range outage {
		n := c.nodes[i%3]
		if err := call(ctx, "GET", n.url("/v1/objects/"+m.class+"/"+id+"?consistency_level=ALL"), nil, nil); err != nil {
			t.Fatalf("object %s, acknowledged while node1 was down, read with ALL through %s: %v", id, n.name, err)
		}
	}
	insertAll("retry after restart", c.nodes[2], m, pending)
	check(ctx, t, "after kill -9 and restart of node1", c, models, rng)

	// Restart of every node: the indexes rebuild from their buckets.
	for _, n := range c.nodes {
		n.stop()
	}
	c.startAll(ctx)
	check(ctx, t, "after a restart of all nodes", c, models, rng)
}

// TestBackup backs up a single node's collections with Weaviate's filesystem
// backend (which refuses clusters of several nodes), drops them, restores
// them, and checks queries against brute force before and after: the
// indexes rebuild from the restored buckets.
func TestBackup(t *testing.T) {
	ctx, c := startCluster(t, 1, 5*time.Minute)
	backupRoundTrip(ctx, t, c, "filesystem", 1)
}

// TestBackupCluster does the same on three nodes, collections of three
// shards with replication factor 2, backed up to S3 (an s3Store on
// 127.0.0.1): every node writes its shards, and the restore spreads them
// over the nodes again.
func TestBackupCluster(t *testing.T) {
	s3 := startS3(t)
	ctx, c := startCluster(t, 3, 6*time.Minute, "ENABLE_MODULES=backup-s3", "BACKUP_S3_BUCKET=silica-backups",
		"BACKUP_S3_ENDPOINT="+s3.addr, "BACKUP_S3_USE_SSL=false", "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=silica", "AWS_SECRET_ACCESS_KEY=silica-test")
	backupRoundTrip(ctx, t, c, "s3", 2)
	files, size := s3.size("silica-backups/silica-backup/")
	t.Logf("the backup: %d objects, %d bytes", files, size)
	for _, n := range c.nodes {
		if f, _ := s3.size("silica-backups/silica-backup/" + n.name + "/"); f == 0 {
			t.Errorf("%s wrote nothing to the backup", n.name)
		}
	}
}

// backupRoundTrip makes two collections (cosine on the object's vector,
// l2-squared on a named vector) with the given replication factor, fills
// them, backs them up to the backend, drops them, restores them, and checks
// queries on every node against brute force before and after.
func backupRoundTrip(ctx context.Context, t *testing.T, c *cluster, backend string, replicas int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	models := []*model{
		{class: "SilicaDoc", distance: "cosine", objs: map[string]object{}},
		{class: "SilicaNamed", distance: "l2-squared", target: "v", objs: map[string]object{}},
	}
	next := 0
	for _, m := range models {
		createCollection(ctx, t, c, m, replicas)
		objs := map[string]object{}
		for range 300 {
			objs[uuidOf(next)] = object{randVec(rng), next % groups}
			next++
		}
		acked, err := insert(ctx, c.nodes[next%len(c.nodes)], m, objs)
		if err != nil || len(acked) != len(objs) {
			t.Fatalf("%s: %d of %d objects acknowledged: %v", m.class, len(acked), len(objs), err)
		}
		m.objs = objs
	}
	check(ctx, t, "before the backup", c, models, rng)

	backup := "/v1/backups/" + backend
	if err := call(ctx, "POST", c.nodes[0].url(backup), map[string]any{"id": "silica-backup"}, nil); err != nil {
		t.Fatalf("start a backup: %v", err)
	}
	waitBackup(ctx, t, c.nodes[0].url(backup+"/silica-backup"))
	for _, m := range models {
		if err := call(ctx, "DELETE", c.nodes[0].url("/v1/schema/"+m.class), nil, nil); err != nil {
			t.Fatalf("drop %s: %v", m.class, err)
		}
	}
	if err := call(ctx, "POST", c.nodes[0].url(backup+"/silica-backup/restore"), map[string]any{}, nil); err != nil {
		t.Fatalf("start the restore: %v", err)
	}
	waitBackup(ctx, t, c.nodes[0].url(backup+"/silica-backup/restore"))
	check(ctx, t, "after a backup, a drop and a restore", c, models, rng)
}

// waitBackup polls a backup's or restore's status until it is SUCCESS;
// FAILED, or ctx's end, fails the test.
func waitBackup(ctx context.Context, t *testing.T, url string) {
	t.Helper()
	for {
		var st struct {
			Status, Error string
		}
		if err := call(ctx, "GET", url, nil, &st); err != nil {
			t.Fatalf("backup status: %v", err)
		}
		switch st.Status {
		case "SUCCESS":
			return
		case "FAILED", "CANCELED":
			t.Fatalf("backup %s: %s: %s", url, st.Status, st.Error)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("backup %s still %s at the test's deadline", url, st.Status)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// diagnose logs, for each reference object missing from hits, what every
// node finds nearest to its own vector.
func diagnose(ctx context.Context, t *testing.T, c *cluster, m *model, want []ranked, hits []hit) {
	got := map[string]bool{}
	for _, h := range hits {
		got[h.id] = true
	}
	for _, w := range want {
		if got[w.id] {
			continue
		}
		for _, n := range c.nodes {
			h, err := nearVector(ctx, n, m, m.objs[w.id].vec, 2, -1, -1)
			t.Logf("missing %s: %s finds %v (%v)", w.id, n.name, h, err)
		}
	}
}
