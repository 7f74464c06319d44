package clustertest

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestMultiTenancy runs a multi-tenant silica collection (replication
// factor 2) on three nodes: each tenant is a shard with an index of its
// own, so a query must find its tenant's objects and no other's. Tenants
// are filled through different nodes, checked against brute force, made
// inactive (their indexes shut down and unloaded) and active again (rebuilt
// from their buckets), and checked again; a tenant added after that starts
// empty.
func TestMultiTenancy(t *testing.T) {
	ctx, c := startCluster(t, 3, 6*time.Minute)
	const class = "SilicaTenants"
	names := []string{"alpha", "beta", "gamma"}
	var models []*model
	for _, name := range names {
		models = append(models, &model{class: class, distance: "cosine", tenant: name, objs: map[string]object{}})
	}
	createCollection(ctx, t, c, models[0], 2)
	setTenants(ctx, t, c, class, "POST", "", names...)
	rng := rand.New(rand.NewPCG(9, 10))
	next := 0
	for i, m := range models {
		objs := map[string]object{}
		for range 150 + 50*i {
			objs[uuidOf(next)] = object{randVec(rng), next % groups}
			next++
		}
		acked, err := insert(ctx, c.nodes[i%3], m, objs)
		if err != nil || len(acked) != len(objs) {
			t.Fatalf("tenant %s: %d of %d objects acknowledged: %v", m.tenant, len(acked), len(objs), err)
		}
		m.objs = objs
	}
	check(ctx, t, "after inserts", c, models, rng)

	setTenants(ctx, t, c, class, "PUT", "INACTIVE", names[:2]...)
	if _, err := nearVector(ctx, c.nodes[0], models[0], randVec(rng), 1, -1, -1); err == nil {
		t.Fatalf("a query of inactive tenant %s succeeded", names[0])
	}
	setTenants(ctx, t, c, class, "PUT", "ACTIVE", names[:2]...)
	check(ctx, t, "after the tenants were made inactive and active again", c, models, rng)

	fresh := &model{class: class, distance: "cosine", tenant: "delta", objs: map[string]object{}}
	setTenants(ctx, t, c, class, "POST", "", fresh.tenant)
	check(ctx, t, "with a new, empty tenant", c, append(models, fresh), rng)
}

// setTenants adds tenants (method POST) or sets their activity status (PUT,
// status ACTIVE or INACTIVE) through node0.
func setTenants(ctx context.Context, t *testing.T, c *cluster, class, method, status string, names ...string) {
	t.Helper()
	var body []map[string]string
	for _, n := range names {
		te := map[string]string{"name": n}
		if status != "" {
			te["activityStatus"] = status
		}
		body = append(body, te)
	}
	if err := call(ctx, method, c.nodes[0].url("/v1/schema/"+class+"/tenants"), body, nil); err != nil {
		t.Fatalf("%s tenants %v of %s: %v", method, names, class, err)
	}
}
