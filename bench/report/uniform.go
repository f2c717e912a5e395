package main

import (
	"math/rand/v2"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

// Query mixes: the generator's own (hot users, mostly about what they were
// granted) and the uniform one.
const (
	mixHot     = "hot"
	mixUniform = "uniform"
	// mixDecided holds the queries of both mixes that a deny or an
	// inherited grant decides, compared but not timed.
	mixDecided = "decided"
)

// decidedQueries returns the queries of the two mixes whose answer a deny
// or an inherited grant decides (gen.Query.DenyDecides, InheritedDecides),
// the hot and the uniform mix's alternately and, as denies decide fewer,
// one decided by a deny for each decided by inheritance alone while both
// last: a short prefix holds some of every kind.
func decidedQueries(hot, uniform []gen.Query) []gen.Query {
	var byDeny, byInheritance []gen.Query
	for i := range max(len(hot), len(uniform)) {
		for _, mix := range [][]gen.Query{hot, uniform} {
			if i >= len(mix) {
				continue
			}
			switch q := mix[i]; {
			case q.DenyDecides:
				byDeny = append(byDeny, q)
			case q.InheritedDecides:
				byInheritance = append(byInheritance, q)
			}
		}
	}
	out := make([]gen.Query, 0, len(byDeny)+len(byInheritance))
	for i := range max(len(byDeny), len(byInheritance)) {
		if i < len(byDeny) {
			out = append(out, byDeny[i])
		}
		if i < len(byInheritance) {
			out = append(out, byInheritance[i])
		}
	}
	return out
}

// uniformStream keeps the uniform mix's random numbers apart from any other
// stream drawn from the same seed.
const uniformStream = 0x756e69666f726d // "uniform"

// uniformQueries returns n queries whose user and entity are drawn
// uniformly at random from the organisation, each with the answer the
// generator's oracle gives (gen.Org.Answer at Epoch, the same computation
// its own mix is answered by, with the denies and inherited grants that
// apply). Nothing steers them towards what a user was
// granted, so almost all are denied and the caches a hot user keeps warm do
// not help: the access pattern issue 15's "uniform" goal is about. The same
// Org and seed always give the same queries, and a shorter list is a prefix
// of a longer one.
func uniformQueries(o *gen.Org, seed uint64, n int) []gen.Query {
	r := rand.New(rand.NewPCG(seed, uniformStream))
	qs := make([]gen.Query, 0, max(n, 0))
	for range n {
		user, entity := o.Users[r.IntN(len(o.Users))], o.Entities[r.IntN(len(o.Entities))]
		qs = append(qs, o.Answer(user, entity, uniformLevel(r.Float64())))
	}
	return qs
}

// uniformLevel maps a number in [0, 1) to the level asked, weighed as the
// generator's mix weighs them: 60% read, 30% write, 10% admin.
func uniformLevel(f float64) model.Level {
	switch {
	case f < 0.6:
		return model.LevelRead
	case f < 0.9:
		return model.LevelWrite
	default:
		return model.LevelAdmin
	}
}
