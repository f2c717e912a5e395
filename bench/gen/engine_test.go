package gen_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/engine"
)

// TestEngineAgreesWithTheOracle loads an organisation the way the package
// doc says (clock at LoadTime, then Epoch) and checks that the engine
// answers every query as the generator expects.
func TestEngineAgreesWithTheOracle(t *testing.T) {
	o := gen.New(gen.Config{Seed: 9, Users: 150, Entities: 150, Roles: 12})
	var now atomic.Pointer[time.Time]
	setClock := func(t time.Time) { now.Store(&t) }
	setClock(o.LoadTime)
	e, err := engine.Open(engine.WithClock(func() time.Time { return *now.Load() }))
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })

	ctx := context.Background()
	require.NoError(t, e.AddMembers(ctx, o.ID, o.Memberships...))
	for _, g := range o.Grants {
		_, err := e.CreateGrant(ctx, o.ID, g)
		require.NoError(t, err, "%+v", g)
	}
	setClock(o.Epoch)
	for _, q := range o.Queries(1000) {
		ok, err := e.Check(ctx, o.ID, q.User, q.Entity, q.Level)
		require.NoError(t, err)
		assert.Equal(t, q.Allowed, ok, "%+v", q)
	}
}
