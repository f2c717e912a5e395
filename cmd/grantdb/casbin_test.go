package main_test

import (
	"path/filepath"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An imported Casbin policy answers check exactly as Casbin's Enforce answers
// the same requests, for every user, domain, object and action.
func TestCasbinPolicyAnswersAsCasbinDoes(t *testing.T) {
	answersAsCasbin(t, "casbin_model.conf", "casbin_policy.csv")
}

// The same with denies, under Casbin's deny-override effect
// (some(where (p.eft == allow)) && !some(where (p.eft == deny))).
func TestCasbinDenyOverridePolicyAnswersAsCasbinDoes(t *testing.T) {
	answersAsCasbin(t, "casbin_deny_model.conf", "casbin_deny_policy.csv")
}

// answersAsCasbin imports testdata/policy and asks check every request of
// the policy's users, domains, objects and actions, which must answer as
// Enforce does under testdata/model.
func answersAsCasbin(t *testing.T, model, policyFile string) {
	policy := filepath.Join("testdata", policyFile)
	enforcer, err := casbin.NewEnforcer(filepath.Join("testdata", model), policy)
	require.NoError(t, err)
	dir := dbDir(t)
	ok(t, "", "import", "--data", dir, "--format", "casbin", policy)

	type request struct{ user, dom, obj, act string }
	var reqs []request
	for _, user := range []string{"alice", "bob", "carol", "dave", "erin"} {
		for _, dom := range []string{"acme", "globex"} {
			for _, obj := range []string{"reports", "wiki", "billing"} {
				for _, act := range []string{"read", "write", "admin"} {
					reqs = append(reqs, request{user, dom, obj, act})
				}
			}
		}
	}
	allowed := 0
	// One check at a time: each opens the directory, and holds its lock.
	for _, r := range reqs {
		want, err := enforcer.Enforce(r.user, r.dom, r.obj, r.act)
		require.NoError(t, err)
		if want {
			allowed++
		}
		got := check(t, dir, r.dom, r.user, "object:"+r.obj, r.act) == 0
		assert.Equal(t, want, got, "%+v: casbin %v", r, want)
	}
	// The policy is not trivial: some of each.
	assert.Greater(t, allowed, 10)
	assert.Less(t, allowed, len(reqs)-10)
}
