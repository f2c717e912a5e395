package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

// richQueries returns up to n queries of o whose expected answer a deny or
// a folder's grant decides, from both mixes, and how many of them are
// allowed.
func richQueries(o *gen.Org, n int) (qs []gen.Query, allowed int) {
	for _, q := range append(o.Queries(20_000), uniformQueries(o, 9, 20_000)...) {
		if len(qs) == n {
			break
		}
		if q.DenyDecides || q.InheritedDecides {
			qs = append(qs, q)
			if q.Allowed {
				allowed++
			}
		}
	}
	return qs, allowed
}

// TestEnginesAgreeOnDeniesAndInheritance loads every engine with a small
// rich organisation and asks each the queries that a deny or an inherited
// grant decides: the ones a model without denies, without parents or
// with the level order of denies the wrong way round would answer
// otherwise.
func TestEnginesAgreeOnDeniesAndInheritance(t *testing.T) {
	o := gen.New(gen.Config{Seed: 3, Users: 200, Entities: 300, Roles: 12})
	require.True(t, richOrg(o))
	qs, allowed := richQueries(o, 150)
	var denyDecides, inheritedDecides int
	for _, q := range qs {
		if q.DenyDecides {
			denyDecides++
		}
		if q.InheritedDecides {
			inheritedDecides++
		}
	}
	require.Positive(t, denyDecides)
	require.Positive(t, inheritedDecides)
	require.Positive(t, allowed, "a folder's allow decides some")
	require.Less(t, allowed, len(qs), "denies decide some")

	subjects := map[string]func() subject{
		nameGrantdb: func() subject { return &grantdbSubject{} },
		nameCasbin:  func() subject { return &casbinSubject{maxDepth: 10} },
		nameOpenFGA: func() subject { return &openfgaSubject{batch: 100, timeout: time.Minute} },
		nameSpiceDB: func() subject { return &spicedbSubject{batch: 100, timeout: time.Minute} },
	}
	for _, name := range engineOrder {
		t.Run(name, func(t *testing.T) {
			if name == nameOpenFGA && testing.Short() {
				t.Skip("loads OpenFGA; skipped with -short")
			}
			sub := subjects[name]()
			t.Cleanup(sub.close)
			ld, err := sub.load(context.Background(), o, nil)
			require.NoError(t, err)
			require.False(t, ld.stopped)
			for _, q := range qs {
				require.True(t, sub.covers(q))
				got, err := sub.check(q)
				require.NoError(t, err)
				assert.Equal(t, q.Allowed, got, "%s %s on %v at %s (%s)", name, q.User, q.Entity, q.Level, involves(q))
			}
		})
	}
}

func TestCoverageNeedsTheFoldersAbove(t *testing.T) {
	o := gen.New(gen.Config{Seed: 3, Users: 200, Entities: 300, Roles: 12})
	grants := activeGrants(o)
	c := newCoverage(o, grants)
	// An entity filed in a folder with grants of its own (the folders above
	// it, found through the links).
	var child, folder model.EntityRef
	for _, l := range o.Links {
		if l.Child.Type != gen.FolderType && c.want[l.Parent] > 0 {
			child, folder = l.Child, l.Parent
			break
		}
	}
	require.NotEmpty(t, child.ID)

	assert.False(t, c.covers(child), "nothing written yet")
	c.prefix = true
	c.have[child] = c.want[child]
	assert.False(t, c.covers(child), "the child's own grants are not enough while its folder lacks some")
	for e, n := range c.want {
		if e != folder {
			c.have[e] = n
		}
	}
	assert.False(t, c.covers(child), "its folder still lacks some")
	c.have[folder] = c.want[folder]
	assert.True(t, c.covers(child))
	c.prefix = false
	assert.False(t, c.covers(child), "the links and memberships are part of every answer")
}
