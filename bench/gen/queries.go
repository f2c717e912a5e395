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
	// Deny reports that an active deny applies to the user on the entity
	// (on it or on a folder above it), whether or not it changes the
	// answer; DenyDecides, that it does: without denies the answer would
	// be allowed.
	Deny, DenyDecides bool
	// Inherited reports that an active grant on a folder above the entity
	// applies to the user (docs/design.md §2.11); InheritedDecides, that
	// the answer depends on it: the grants on the entity alone would give
	// the other answer (a folder's allow gives what they do not, or a
	// folder's deny takes away what they give).
	Inherited, InheritedDecides bool
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
	// descendShare is the chance, at each level, that a query aimed at a
	// folder's grant asks about something filed inside it instead.
	descendShare = 0.9
)

// askedLevels weighs the levels queries ask for: mostly read.
var askedLevels = []float64{0.6, 0.3, 0.1}

// Queries returns n queries: 80% from hot users (a Zipf distribution over a
// fixed permutation of users), 20% from users drawn uniformly; 75% about an
// entity granted to one of the user's subjects (allowed unless the level
// asked is above the user's, the grant is not active or a deny caps it; a
// grant on a folder mostly leads to something below it), 25% about a random
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
			// A grant on a folder: ask about something inside it, mostly.
			for int(e) >= c.entities && len(c.entityChildren[e]) > 0 && r.Float64() < descendShare {
				kids := c.entityChildren[e]
				e = kids[r.IntN(len(kids))]
			}
		}
		q.User, q.Entity = o.Users[u], o.entityRef(e)
		q.Level = model.Level(1 + pickWeighted(r, askedLevels))
		o.answer(&q, subjects, e)
		qs = append(qs, q)
	}
	return qs
}

// Answer returns the query "may user act on entity (or folder) at level",
// answered at Epoch as Queries answers its own: Allowed, Deny, DenyDecides,
// Inherited and InheritedDecides filled in, Hot false. An unknown user or
// entity is denied, with nothing applying.
func (o *Org) Answer(user string, entity model.EntityRef, level model.Level) Query {
	q := Query{User: user, Entity: entity, Level: level}
	ix := o.index()
	u, ok := ix.user[user]
	if !ok {
		return q
	}
	e, ok := ix.entity[entity]
	if !ok {
		return q
	}
	o.answer(&q, o.closure(u), e)
	return q
}

// answer fills q's expected answer for the user's subjects on entity code e.
func (o *Org) answer(q *Query, subjects []int32, e int32) {
	v := o.decide(subjects, e)
	q.Allowed = v.level >= q.Level
	q.Deny, q.Inherited = v.deny, v.inherited
	q.DenyDecides = v.deny && !q.Allowed && v.allowed >= q.Level
	if v.inherited {
		q.InheritedDecides = o.decideOn(subjects, e, []int32{e}).level >= q.Level != q.Allowed
	}
}
