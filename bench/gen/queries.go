package gen

import (
	"math/rand/v2"

	"github.com/grantdb/grantdb/model"
)

// Query is one access question, with the answer at Epoch.
type Query struct {
	User   string
	Entity model.EntityRef
	Level  model.Level
	// Allowed is the expected answer of Check(User, Entity, Level) at Epoch.
	Allowed bool
	// Hot reports whether User was drawn from the few users who ask most
	// (Zipf-distributed) rather than uniformly from everyone.
	Hot bool
}

// Share of hot-user queries, and of queries aimed at something the user's
// subjects hold a grant on (the rest name a random entity, almost always
// denied).
const (
	hotShare    = 0.8
	targetShare = 0.75
)

// askedLevels weighs the levels queries ask for: mostly read.
var askedLevels = []float64{0.6, 0.3, 0.1}

// Queries returns n queries: 80% from hot users (a Zipf distribution over a
// fixed permutation of users), 20% from users drawn uniformly; 75% about an
// entity granted to one of the user's subjects (allowed unless the level
// asked is above the user's, or the grant is not active), 25% about a random
// entity (almost always denied). Levels asked are 60% read, 30% write, 10%
// admin. About half are allowed (the share depends on the Config; Allowed
// gives each answer). The same Org always
// gives the same queries for the same n, and a shorter list is a prefix of
// a longer one.
func (o *Org) Queries(n int) []Query {
	c, ix := &o.c, o.index()
	r := rand.New(rand.NewPCG(o.Config.Seed, streamQueries))
	hot := r.Perm(c.users)
	zipf := rand.NewZipf(r, 1.2, 4, uint64(c.users-1))
	qs := make([]Query, 0, max(n, 0))
	for range n {
		var q Query
		var u int32
		if r.Float64() < hotShare {
			u, q.Hot = int32(hot[zipf.Uint64()]), true
		} else {
			u = int32(r.IntN(c.users))
		}
		subjects := o.closure(u)
		e := int32(r.IntN(len(o.Entities)))
		if r.Float64() < targetShare {
			s := subjects[r.IntN(len(subjects))]
			if gs := ix.subjectGrants[s]; len(gs) > 0 {
				e = c.grants[gs[r.IntN(len(gs))]].entity
			}
		}
		q.User, q.Entity = o.Users[u], o.Entities[e]
		q.Level = model.Level(1 + pickWeighted(r, askedLevels))
		q.Allowed = o.levelOf(subjects, e) >= q.Level
		qs = append(qs, q)
	}
	return qs
}
