package engine_test

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

var oracleSeeds = flag.Int("oracle.seeds", 6, "random organisations the resolve oracle test compares")

// oracle is a naive model of one organisation, kept beside the engine from
// the results of the same API calls: memberships and entity links as sets,
// grants as a map by (entity, grantee, effect). It answers by searches over
// memberships and links and a linear scan of the grants, straight from
// docs/design.md (§4 Resolution, §7 Deny, Hierarchy, Group subjects).
type oracle struct {
	members map[model.Membership]bool
	links   map[model.EntityLink]bool
	grants  map[[3]string]model.Grant // (entity, grantee, effect) -> grant
}

func grantSlot(g model.Grant) [3]string {
	return [3]string{g.Entity.String(), g.Grantee.String(), g.Effect.String()}
}

// entityChains returns, for the entity and every entity above it, the chain
// of links up to it: shortest, and least in chain order (entities compared by
// type, then id) among the shortest, by the same layered dynamic programming
// as chainsFrom.
func (o *oracle) entityChains(start model.EntityRef) map[model.EntityRef][]model.EntityRef {
	best := map[model.EntityRef][]model.EntityRef{start: {start}}
	layer := []model.EntityRef{start}
	for len(layer) > 0 {
		next := map[model.EntityRef][]model.EntityRef{}
		for _, e := range layer {
			for l := range o.links {
				if l.Child != e {
					continue
				}
				if _, done := best[l.Parent]; done {
					continue
				}
				cand := append(slices.Clone(best[e]), l.Parent)
				if cur, ok := next[l.Parent]; !ok || compareEntityChains(cand, cur) < 0 {
					next[l.Parent] = cand
				}
			}
		}
		layer = layer[:0]
		for e, c := range next {
			best[e] = c
			layer = append(layer, e)
		}
	}
	return best
}

func compareEntityChains(a, b []model.EntityRef) int {
	for i := range min(len(a), len(b)) {
		if c := cmp.Or(strings.Compare(a[i].Type, b[i].Type), strings.Compare(a[i].ID, b[i].ID)); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// depth is the number of links on the longest chain up from e.
func (o *oracle) depth(e model.EntityRef) int {
	d := 0
	for l := range o.links {
		if l.Child == e {
			d = max(d, 1+o.depth(l.Parent))
		}
	}
	return d
}

// height is the number of links on the longest chain down to e.
func (o *oracle) height(e model.EntityRef) int {
	h := 0
	for l := range o.links {
		if l.Parent == e {
			h = max(h, 1+o.height(l.Child))
		}
	}
	return h
}

// chains returns, for every subject user reaches, its chain: shortest, and
// least in chain order (subjects compared by type, then id) among the
// shortest — computed by dynamic programming over the distance layers,
// independently of the engine's ranked breadth-first search.
func (o *oracle) chains(user string) map[model.Subject][]model.Subject {
	return o.chainsFrom(model.User(user))
}

func (o *oracle) chainsFrom(start model.Subject) map[model.Subject][]model.Subject {
	best := map[model.Subject][]model.Subject{start: {start}}
	layer := []model.Subject{start}
	for len(layer) > 0 {
		next := map[model.Subject][]model.Subject{}
		for _, s := range layer {
			for m := range o.members {
				if m.Member != s {
					continue
				}
				if _, done := best[m.Group]; done {
					continue
				}
				cand := append(slices.Clone(best[s]), m.Group)
				if cur, ok := next[m.Group]; !ok || compareChains(cand, cur) < 0 {
					next[m.Group] = cand
				}
			}
		}
		layer = layer[:0]
		for s, c := range next {
			best[s] = c
			layer = append(layer, s)
		}
	}
	return best
}

func compareChains(a, b []model.Subject) int {
	for i := range min(len(a), len(b)) {
		if c := cmp.Or(strings.Compare(string(a[i].Type), string(b[i].Type)), strings.Compare(a[i].ID, b[i].ID)); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// decide returns the level and the expected Via and Denied of user on
// entity at now.
func (o *oracle) decide(user string, entity model.EntityRef, now time.Time) (model.Level, []resolve.Path, []resolve.Path) {
	return o.decideFor(o.chains(user), entity, now)
}

// decideFor decides for the subjects of chains: the highest active allow
// that reaches one of them on the entity or above it, capped below the
// lowest such deny; Via the allows whose capped level is the result, Denied
// the denies at or below the highest allow.
func (o *oracle) decideFor(chains map[model.Subject][]model.Subject, entity model.EntityRef, now time.Time) (model.Level, []resolve.Path, []resolve.Path) {
	echains := o.entityChains(entity)
	highest, lowestDeny := model.LevelNone, model.Level(4)
	var applying []resolve.Path
	for _, g := range o.grants {
		chain, ok := chains[g.Grantee]
		echain, below := echains[g.Entity]
		if !ok || !below || !g.ActiveAt(now) {
			continue
		}
		if g.Effect == model.EffectDeny {
			lowestDeny = min(lowestDeny, g.Level)
		} else {
			highest = max(highest, g.Level)
		}
		applying = append(applying, resolve.Path{Grant: g, Chain: chain, Entities: echain})
	}
	level := min(highest, lowestDeny-1)
	var via, denied []resolve.Path
	for _, p := range applying {
		switch {
		case p.Grant.Effect == model.EffectDeny && p.Grant.Level <= highest && highest > model.LevelNone:
			denied = append(denied, p)
		case p.Grant.Effect == model.EffectAllow && level > model.LevelNone && min(p.Grant.Level, lowestDeny-1) == level:
			via = append(via, p)
		}
	}
	byID := func(a, b resolve.Path) int { return strings.Compare(a.Grant.ID, b.Grant.ID) }
	slices.SortFunc(via, byID)
	slices.SortFunc(denied, byID)
	return level, via, denied
}

// groupLevel is what group g gives on entity at now: the grants of g and of
// every group it reaches, none to a user.
func (o *oracle) groupLevel(g model.Subject, entity model.EntityRef, now time.Time) model.Level {
	chains := o.chainsFrom(g)
	if !o.named(g) {
		return model.LevelNone
	}
	level, _, _ := o.decideFor(chains, entity, now)
	return level
}

// named reports whether s appears in a membership or a grant (the engine
// knows only those).
func (o *oracle) named(s model.Subject) bool {
	for m := range o.members {
		if m.Member == s || m.Group == s {
			return true
		}
	}
	for _, g := range o.grants {
		if g.Grantee == s {
			return true
		}
	}
	return false
}

// randomOrg drives the engine through random API calls, mirroring their
// effects in an oracle. Subjects: users u0..u7 (u8 is never named), nested
// departments and roles with random memberships between groups of a type
// (those that would close a cycle must be refused).
type randomOrg struct {
	rng      *rand.Rand
	e        *engine.Engine
	clock    *fakeClock
	o        *oracle
	users    []string
	groups   []model.Subject
	entities []model.EntityRef
	// seen counts what the comparisons met, so that the test can tell it
	// covered denies, inheritance and deep chains.
	seen *oracleCoverage
}

type oracleCoverage struct {
	denied, inherited, deep, groupAllowed int
}

// maxDepth bounds the chains of links the random organisations build.
const maxDepth = 6

// addLink links two random entities; one that would close a cycle must be
// refused. Links that would make a chain longer than maxDepth are not tried.
func (r *randomOrg) addLink(t *testing.T) {
	child := r.entities[r.rng.IntN(len(r.entities))]
	parent := r.entities[r.rng.IntN(len(r.entities))]
	l := model.EntityLink{Child: child, Parent: parent}
	err := r.e.LinkEntities(context.Background(), testOrg, l)
	if _, cycle := r.o.entityChains(parent)[child]; cycle {
		requireModelError(t, err, model.ErrConflict, model.FieldParentID)
		return
	}
	if r.o.depth(parent)+1+r.o.height(child) > maxDepth {
		// Keep the organisation within maxDepth: take the link back.
		require.NoError(t, err)
		require.NoError(t, r.e.UnlinkEntities(context.Background(), testOrg, l))
		if r.o.links[l] {
			require.NoError(t, r.e.LinkEntities(context.Background(), testOrg, l))
		}
		return
	}
	require.NoError(t, err)
	r.o.links[l] = true
}

// removeLink removes a random link, or one that is not there.
func (r *randomOrg) removeLink(t *testing.T) {
	ls := make([]model.EntityLink, 0, len(r.o.links))
	for l := range r.o.links {
		ls = append(ls, l)
	}
	slices.SortFunc(ls, func(a, b model.EntityLink) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	l := model.EntityLink{Child: r.entities[0], Parent: r.entities[1]}
	if len(ls) > 0 {
		l = ls[r.rng.IntN(len(ls))]
	}
	require.NoError(t, r.e.UnlinkEntities(context.Background(), testOrg, l))
	delete(r.o.links, l)
}

func (r *randomOrg) subject() model.Subject {
	if r.rng.IntN(3) == 0 {
		return model.User(r.users[r.rng.IntN(len(r.users)-1)])
	}
	return r.groups[r.rng.IntN(len(r.groups))]
}

// addMembership adds a random membership; one that would close a cycle must be refused.
func (r *randomOrg) addMembership(t *testing.T) {
	g := r.groups[r.rng.IntN(len(r.groups))]
	var m model.Membership
	if r.rng.IntN(2) == 0 {
		m = membership(model.User(r.users[r.rng.IntN(len(r.users)-1)]), g)
	} else {
		same := []model.Subject{}
		for _, x := range r.groups {
			if x.Type == g.Type && x != g {
				same = append(same, x)
			}
		}
		m = membership(same[r.rng.IntN(len(same))], g)
	}
	err := r.e.AddMembers(context.Background(), testOrg, m)
	if _, cycle := r.o.chainsFrom(m.Group)[m.Member]; cycle {
		requireModelError(t, err, model.ErrConflict, model.FieldGroupID)
		return
	}
	require.NoError(t, err)
	r.o.members[m] = true
}

// addGrant creates a random grant with a random window around now.
func (r *randomOrg) addGrant(t *testing.T, now time.Time) {
	in := model.GrantInput{
		Entity:  r.entities[r.rng.IntN(len(r.entities))],
		Grantee: r.subject(),
		Level:   model.Level(1 + r.rng.IntN(3)),
	}
	if r.rng.IntN(4) == 0 {
		in.Effect = model.EffectDeny
	}
	hour := func(n int) time.Time { return now.Add(time.Duration(n) * time.Hour) }
	switch r.rng.IntN(4) {
	case 1:
		in.EffectiveFrom = hour(r.rng.IntN(3) - 1)
	case 2:
		in.EffectiveTo = hour(1 + r.rng.IntN(3))
	case 3:
		in.EffectiveFrom, in.EffectiveTo = hour(r.rng.IntN(2)), hour(2+r.rng.IntN(2))
	}
	g, err := r.e.CreateGrant(context.Background(), testOrg, in)
	if errors.Is(err, model.ErrDuplicate) {
		return
	}
	require.NoError(t, err)
	r.o.grants[grantSlot(g)] = g
}

// someGrant returns a random grant of the oracle, if any.
func (r *randomOrg) someGrant() (model.Grant, bool) {
	if len(r.o.grants) == 0 {
		return model.Grant{}, false
	}
	keys := make([][3]string, 0, len(r.o.grants))
	for k := range r.o.grants {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [3]string) int {
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]), strings.Compare(a[2], b[2]))
	})
	return r.o.grants[keys[r.rng.IntN(len(keys))]], true
}

func (r *randomOrg) mutate(t *testing.T, now time.Time) {
	ctx := context.Background()
	switch op := r.rng.IntN(13); {
	case op >= 10:
		if op == 12 {
			r.removeLink(t)
		} else {
			r.addLink(t)
		}
	case op < 3:
		r.addMembership(t)
	case op < 7:
		r.addGrant(t, now)
	case op == 7:
		if g, ok := r.someGrant(); ok {
			if err := r.e.RevokeGrant(ctx, testOrg, g.ID); !errors.Is(err, model.ErrNotFound) {
				require.NoError(t, err)
			}
			delete(r.o.grants, grantSlot(g)) // revoked, or ended: gone either way
		}
	case op == 8:
		if g, ok := r.someGrant(); ok {
			u, err := r.e.UpdateGrant(ctx, testOrg, g.ID, model.Level(1+r.rng.IntN(3)))
			if errors.Is(err, model.ErrNotFound) {
				return
			}
			require.NoError(t, err)
			r.o.grants[grantSlot(u)] = u
		}
	default:
		ms := make([]model.Membership, 0, len(r.o.members))
		for m := range r.o.members {
			ms = append(ms, m)
		}
		if len(ms) == 0 {
			return
		}
		slices.SortFunc(ms, func(a, b model.Membership) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		m := ms[r.rng.IntN(len(ms))]
		require.NoError(t, r.e.RemoveMembers(ctx, testOrg, m))
		delete(r.o.members, m)
	}
}

func TestResolveAgainstOracle(t *testing.T) {
	seen := &oracleCoverage{}
	defer func() {
		t.Logf("coverage %+v", *seen)
		if *oracleSeeds >= 6 && !t.Failed() {
			assert.Positive(t, seen.denied, "no decision met a deny")
			assert.Positive(t, seen.inherited, "no decision met an inherited grant")
			assert.Positive(t, seen.deep, "no decision met a chain of four links or more")
			assert.Positive(t, seen.groupAllowed, "no group subject was allowed")
		}
	}()
	for seed := range uint64(*oracleSeeds) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			e, clock := newTestEngine(t)
			r := &randomOrg{
				rng: rand.New(rand.NewPCG(seed, 0x5eed)), e: e, clock: clock, seen: seen,
				o: &oracle{members: map[model.Membership]bool{}, links: map[model.EntityLink]bool{}, grants: map[[3]string]model.Grant{}},
			}
			for i := range 9 {
				r.users = append(r.users, fmt.Sprintf("u%d", i))
			}
			for i := range 6 {
				r.groups = append(r.groups, model.Department(fmt.Sprintf("d%d", i)), model.Role(fmt.Sprintf("r%d", i)))
			}
			for i := range 5 {
				r.entities = append(r.entities, doc(fmt.Sprintf("doc%d", i)), folder(fmt.Sprintf("f%d", i)))
			}
			// An organisation of the same names beside it must change nothing.
			require.NoError(t, e.AddMembers(context.Background(), otherOrg, membership(model.User("u0"), model.Role("r0"))))
			mustCreate(t, e, otherOrg, model.GrantInput{Entity: doc("doc0"), Grantee: model.Role("r0"), Level: model.LevelAdmin})
			mustCreate(t, e, otherOrg, model.GrantInput{Entity: folder("f0"), Grantee: model.User("u1"), Level: model.LevelRead, Effect: model.EffectDeny})
			require.NoError(t, e.LinkEntities(context.Background(), otherOrg, model.EntityLink{Child: doc("doc1"), Parent: doc("doc0")}))

			now := t0.UTC()
			for round := range 3 {
				for range 40 {
					r.mutate(t, now)
				}
				// Whole hours from the round's start hit the windows' exact bounds.
				for _, h := range []time.Duration{0, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour} {
					clock.Set(now.Add(h))
					r.compare(t, fmt.Sprintf("round %d at +%s", round, h), now.Add(h))
				}
				now = now.Add(3 * time.Hour)
			}
		})
	}
}

// compare checks every user against every entity at now, both ways.
func (r *randomOrg) compare(t *testing.T, when string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, user := range r.users {
		wantAccess := map[model.EntityRef]model.Level{}
		for _, entity := range r.entities {
			level, via, denied := r.o.decide(user, entity, now)
			if level > model.LevelNone {
				wantAccess[entity] = level
			}
			d, err := r.e.Resolve(ctx, testOrg, user, entity)
			require.NoError(t, err)
			require.Equal(t, level, d.Level, "%s: Resolve(%s, %s)", when, user, entity)
			require.Equal(t, via, d.Via, "%s: Via of Resolve(%s, %s)", when, user, entity)
			require.Equal(t, denied, d.Denied, "%s: Denied of Resolve(%s, %s)", when, user, entity)
			if len(denied) > 0 {
				r.seen.denied++
			}
			for _, p := range via {
				if len(p.Entities) > 1 {
					r.seen.inherited++
				}
				if len(p.Entities) > 4 {
					r.seen.deep++
				}
			}
			for _, l := range []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin} {
				ok, err := r.e.Check(ctx, testOrg, user, entity, l)
				require.NoError(t, err)
				require.Equal(t, level >= l, ok, "%s: Check(%s, %s, %s)", when, user, entity, l)
				ok, err = r.e.CheckSubject(ctx, testOrg, model.User(user), entity, l)
				require.NoError(t, err)
				require.Equal(t, level >= l, ok, "%s: CheckSubject(user %s, %s, %s)", when, user, entity, l)
			}
		}
		for _, q := range []resolve.Query{{}, {MinLevel: model.LevelWrite}, {EntityType: "folder", MinLevel: model.LevelAdmin}} {
			got, err := r.e.ResolvedAccess(ctx, testOrg, user, q)
			require.NoError(t, err)
			var want []model.EntityRef
			for _, entity := range r.entities {
				if l := wantAccess[entity]; l >= max(q.MinLevel, model.LevelRead) && (q.EntityType == "" || q.EntityType == entity.Type) {
					want = append(want, entity)
				}
			}
			slices.SortFunc(want, func(a, b model.EntityRef) int {
				return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.ID, b.ID))
			})
			var gotEntities []model.EntityRef
			for _, d := range got {
				gotEntities = append(gotEntities, d.Entity)
				level, via, denied := r.o.decide(user, d.Entity, now)
				assert.Equal(t, resolve.Decision{Entity: d.Entity, Level: level, Via: via, Denied: denied}, d,
					"%s: ResolvedAccess(%s) of %s", when, user, d.Entity)
			}
			require.Equal(t, want, gotEntities, "%s: ResolvedAccess(%s, %+v)", when, user, q)
		}
	}
	groups := append(slices.Clone(r.groups), model.Department("never_named"))
	for _, g := range groups {
		for _, entity := range r.entities {
			level := r.o.groupLevel(g, entity, now)
			for _, l := range []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin} {
				ok, err := r.e.CheckSubject(ctx, testOrg, g, entity, l)
				require.NoError(t, err)
				if ok {
					r.seen.groupAllowed++
				}
				require.Equal(t, level >= l, ok, "%s: CheckSubject(%s, %s, %s)", when, g, entity, l)
			}
		}
	}
	for _, entity := range r.entities {
		for _, minLevel := range []model.Level{model.LevelNone, model.LevelWrite, model.LevelAdmin} {
			got, err := r.e.UsersWithAccess(ctx, testOrg, entity, minLevel)
			require.NoError(t, err)
			var want []resolve.UserAccess
			for _, user := range r.users { // already in id order
				if level, via, denied := r.o.decide(user, entity, now); level >= max(minLevel, model.LevelRead) {
					want = append(want, resolve.UserAccess{User: user, Level: level, Via: via, Denied: denied})
				}
			}
			if want == nil {
				want = []resolve.UserAccess{}
			}
			require.Equal(t, want, got, "%s: UsersWithAccess(%s, %s)", when, entity, minLevel)
		}
	}
}
