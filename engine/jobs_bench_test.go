package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// jobBenchSink keeps the benchmark's result alive.
var jobBenchSink bulk.JobSummary

// BenchmarkJobReplaceAll_10k runs an OpReplaceAll job over 10,000
// resources that each hold two grants; the ACLs of successive runs differ,
// so every step deletes, updates and creates grants. It reports steps/s.
func BenchmarkJobReplaceAll_10k(b *testing.B) {
	const n = 10_000
	e, err := engine.Open()
	require.NoError(b, err)
	defer e.Close()
	ctx := context.Background()
	const org = "org_bench"
	resources := make([]model.EntityRef, n)
	for i := range resources {
		resources[i] = model.EntityRef{Type: "stream", ID: fmt.Sprintf("s%05d", i)}
		for _, g := range []model.GrantInput{
			{Entity: resources[i], Grantee: model.User("alice"), Level: model.LevelRead},
			{Entity: resources[i], Grantee: model.Role("ops"), Level: model.LevelWrite},
		} {
			_, err := e.CreateGrant(ctx, org, g)
			require.NoError(b, err)
		}
	}
	acls := [][]bulk.ACE{
		{{Grantee: model.User("alice"), Level: model.LevelWrite}, {Grantee: model.User("carol"), Level: model.LevelRead}},
		{{Grantee: model.User("alice"), Level: model.LevelRead}, {Grantee: model.Role("ops"), Level: model.LevelWrite}},
	}
	runs := 0
	b.ReportAllocs()
	for b.Loop() {
		sub, err := e.SubmitJob(ctx, org, bulk.JobSpec{Operation: bulk.OpReplaceAll, RequestedBy: "usr_bench",
			Resources: resources, ACL: acls[runs%2]})
		if err != nil {
			b.Fatal(err)
		}
		sum, err := e.WaitJob(ctx, org, sub.ID)
		if err != nil || sum.Status != bulk.JobSucceeded {
			b.Fatalf("job ended %s: %v", sum.Status, err)
		}
		jobBenchSink = sum
		runs++
	}
	b.ReportMetric(float64(runs*n)/b.Elapsed().Seconds(), "steps/s")
}
