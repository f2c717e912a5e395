package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// The deny-override policy, parsed and written as import writes it into an
// engine in memory, answers Check as Casbin's Enforce answers: what the
// binary's test (TestCasbinDenyOverridePolicyAnswersAsCasbinDoes) checks
// through a directory once the disk format keeps denies.
func TestCasbinDenyOverrideInMemory(t *testing.T) {
	ctx := context.Background()
	policy := filepath.Join("testdata", "casbin_deny_policy.csv")
	enforcer, err := casbin.NewEnforcer(filepath.Join("testdata", "casbin_deny_model.conf"), policy)
	require.NoError(t, err)
	f, err := os.Open(policy)
	require.NoError(t, err)
	defer f.Close()
	recs, err := parseCasbin(f, parseOptions{entityType: "object"})
	require.NoError(t, err)
	require.NoError(t, validate(recs, nil, time.Now()))
	e, err := engine.Open()
	require.NoError(t, err)
	defer e.Close()
	denies := 0
	for _, b := range byOrg(recs) {
		require.NoError(t, addMemberships(ctx, e, b, bulk.AllOrNothing, func(int) {}))
		var tally importTally
		require.NoError(t, createGrants(ctx, e, b, bulk.AllOrNothing, &tally, func(int) {}))
		for _, g := range b.grants {
			if g.Effect == model.EffectDeny {
				denies++
			}
		}
	}
	require.Equal(t, 5, denies)

	differ := 0
	for _, user := range []string{"alice", "bob", "carol", "dave", "erin"} {
		for _, dom := range []string{"acme", "globex"} {
			for _, obj := range []string{"reports", "wiki", "billing"} {
				for _, act := range []string{"read", "write", "admin"} {
					want, err := enforcer.Enforce(user, dom, obj, act)
					require.NoError(t, err)
					lvl, err := model.ParseLevel(act)
					require.NoError(t, err)
					got, err := e.Check(ctx, dom, user, model.EntityRef{Type: "object", ID: obj}, lvl)
					require.NoError(t, err)
					if !assert.Equal(t, want, got, "%s %s %s %s", user, dom, obj, act) {
						differ++
					}
				}
			}
		}
	}
	assert.Zero(t, differ)

	// The denies matter: the model without them (the allow-only one, on
	// the same policy's allows) answers yes to these, deny-override no.
	allowOnly, err := casbin.NewEnforcer(filepath.Join("testdata", "casbin_model.conf"), filepath.Join("testdata", "casbin_policy.csv"))
	require.NoError(t, err)
	for _, r := range [][4]string{{"bob", "acme", "wiki", "write"}, {"carol", "acme", "reports", "write"}, {"carol", "acme", "billing", "write"}, {"alice", "globex", "reports", "read"}} {
		before, err := allowOnly.Enforce(r[0], r[1], r[2], r[3])
		require.NoError(t, err)
		after, err := enforcer.Enforce(r[0], r[1], r[2], r[3])
		require.NoError(t, err)
		assert.Equal(t, [2]bool{true, false}, [2]bool{before, after}, "%v", r)
	}
}
