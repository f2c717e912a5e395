package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// Sinks keep the compiler from dropping the calls measured.
var (
	sinkGrant model.Grant
	sinkPage  model.GrantPage
)

// benchInput is the i-th grant of a generated organisation: 10 grants per
// entity, to users of a pool of 10,000, levels cycling.
func benchInput(i int) model.GrantInput {
	return model.GrantInput{
		Entity:    model.EntityRef{Type: "document", ID: fmt.Sprintf("doc_%07d", i/10)},
		Grantee:   model.User(fmt.Sprintf("usr_%05d", (i*7919)%10000)),
		Level:     model.Level(i%3 + 1),
		GrantedBy: "usr_admin",
	}
}

// fillEngine opens an engine holding n grants, created one by one.
func fillEngine(tb testing.TB, n int) (*engine.Engine, []model.Grant) {
	tb.Helper()
	e, err := engine.Open(engine.WithClock(func() time.Time { return t0 }))
	require.NoError(tb, err)
	grants := make([]model.Grant, n)
	for i := range grants {
		grants[i], err = e.CreateGrant(context.Background(), testOrg, benchInput(i))
		require.NoError(tb, err)
	}
	return e, grants
}

// readEngines caches the engines that read benchmarks share: filling 100k
// grants takes seconds, and reads do not change them.
var readEngines struct {
	sync.Mutex
	byN map[int]readEngine
}

type readEngine struct {
	e      *engine.Engine
	grants []model.Grant
}

func sharedEngine(b *testing.B, n int) (*engine.Engine, []model.Grant) {
	readEngines.Lock()
	defer readEngines.Unlock()
	if r, ok := readEngines.byN[n]; ok {
		return r.e, r.grants
	}
	e, grants := fillEngine(b, n)
	if readEngines.byN == nil {
		readEngines.byN = map[int]readEngine{}
	}
	readEngines.byN[n] = readEngine{e, grants}
	return e, grants
}

// BenchmarkCreateGrant creates grants one by one into an engine that holds
// `existing` grants already. Inputs are made in batches with the timer
// stopped, so ns/op and allocs/op are CreateGrant's alone.
func BenchmarkCreateGrant(b *testing.B) {
	for _, existing := range []int{0, 100_000} {
		b.Run(fmt.Sprintf("existing=%d", existing), func(b *testing.B) {
			e, _ := fillEngine(b, existing)
			defer e.Close()
			ctx := context.Background()
			const batch = 4096
			inputs := make([]model.GrantInput, batch)
			next := existing
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%batch == 0 {
					b.StopTimer()
					for j := range inputs {
						inputs[j] = benchInput(next + j)
					}
					next += batch
					b.StartTimer()
				}
				g, err := e.CreateGrant(ctx, testOrg, inputs[i%batch])
				if err != nil {
					b.Fatal(err)
				}
				sinkGrant = g
			}
		})
	}
}

func BenchmarkGetGrant(b *testing.B) {
	for _, existing := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("existing=%d", existing), func(b *testing.B) {
			e, grants := sharedEngine(b, existing)
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				g, err := e.GetGrant(ctx, testOrg, grants[(i*7919)%len(grants)].ID)
				if err != nil {
					b.Fatal(err)
				}
				sinkGrant = g
			}
		})
	}
}

// BenchmarkListGrantsPage100 reads pages of 100 grants out of 100k, walking
// on with the cursor and starting again after the last page.
func BenchmarkListGrantsPage100(b *testing.B) {
	cases := []struct {
		name string
		q    model.GrantQuery
	}{
		{"all", model.GrantQuery{Limit: 100}},
		{"entity_type", model.GrantQuery{Limit: 100, Entity: model.EntityRef{Type: "document"}}},
		{"grantee", model.GrantQuery{Limit: 100, Grantee: model.User("usr_00001")}},
		{"min_level_admin", model.GrantQuery{Limit: 100, MinLevel: model.LevelAdmin}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			e, _ := sharedEngine(b, 100_000)
			ctx := context.Background()
			q := tc.q
			b.ReportAllocs()
			for b.Loop() {
				page, err := e.ListGrants(ctx, testOrg, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Grants) != 100 && page.NextCursor != "" {
					b.Fatalf("short page of %d", len(page.Grants))
				}
				q.Cursor = page.NextCursor
				sinkPage = page
			}
		})
	}
}
