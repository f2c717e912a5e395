package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// ruleWorld is a small organisation the rule tables share: ann is in eng,
// which is nested in rnd; ann holds the editor role; doc1 sits in sub,
// which sits in root.
func ruleWorld(t *testing.T) (*engine.Engine, context.Context) {
	t.Helper()
	e, _ := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.AddMembers(ctx, testOrg,
		membership(model.User("ann"), model.Department("eng")),
		membership(model.Department("eng"), model.Department("rnd")),
		membership(model.User("ann"), model.Role("editor")),
		membership(model.User("bob"), model.Department("rnd")),
	))
	require.NoError(t, e.LinkEntities(ctx, testOrg,
		model.EntityLink{Child: doc("doc1"), Parent: folder("sub")},
		model.EntityLink{Child: folder("sub"), Parent: folder("root")},
	))
	return e, ctx
}

func allowOf(entity model.EntityRef, s model.Subject, l model.Level) model.GrantInput {
	return model.GrantInput{Entity: entity, Grantee: s, Level: l}
}

func denyOf(entity model.EntityRef, s model.Subject, l model.Level) model.GrantInput {
	return model.GrantInput{Entity: entity, Grantee: s, Level: l, Effect: model.EffectDeny}
}

// pathOf is the expected explanation of g reaching the user along chain
// (subjects) and entities.
func pathOf(g model.Grant, entities []model.EntityRef, chain ...model.Subject) resolve.Path {
	return resolve.Path{Grant: g, Chain: chain, Entities: entities}
}

func TestDenyRules(t *testing.T) {
	ann, eng, rnd, editor := model.User("ann"), model.Department("eng"), model.Department("rnd"), model.Role("editor")
	d1 := []model.EntityRef{doc("doc1")}
	cases := []struct {
		name   string
		rule   string
		grants []model.GrantInput
		// level, and the indexes into grants of Via and Denied.
		level      model.Level
		via        []int
		denied     []int
		chains     map[int][]model.Subject
		entityPath map[int][]model.EntityRef
	}{
		{
			name: "deny at read leaves none", rule: "a deny at read leaves none",
			grants: []model.GrantInput{allowOf(doc("doc1"), ann, model.LevelAdmin), denyOf(doc("doc1"), ann, model.LevelRead)},
			level:  model.LevelNone, denied: []int{1},
		},
		{
			name: "deny at write caps below write", rule: "deny at L takes L and every level above it",
			grants: []model.GrantInput{allowOf(doc("doc1"), ann, model.LevelAdmin), denyOf(doc("doc1"), ann, model.LevelWrite)},
			level:  model.LevelRead, via: []int{0}, denied: []int{1},
		},
		{
			name: "deny above the highest allow takes nothing", rule: "Denied holds the denies at or below the highest allow",
			grants: []model.GrantInput{allowOf(doc("doc1"), ann, model.LevelWrite), denyOf(doc("doc1"), ann, model.LevelAdmin)},
			level:  model.LevelWrite, via: []int{0},
		},
		{
			name: "deny and no allow", rule: "Via is empty exactly when the level is none",
			grants: []model.GrantInput{denyOf(doc("doc1"), ann, model.LevelRead)},
			level:  model.LevelNone,
		},
		{
			name: "every allow capped to the level is in Via", rule: "Via holds every applying allow whose capped level equals the result",
			grants: []model.GrantInput{
				allowOf(doc("doc1"), ann, model.LevelAdmin), allowOf(doc("doc1"), editor, model.LevelRead),
				allowOf(doc("doc1"), eng, model.LevelWrite), denyOf(doc("doc1"), rnd, model.LevelWrite),
			},
			level: model.LevelRead, via: []int{0, 1, 2}, denied: []int{3},
			chains: map[int][]model.Subject{1: {ann, editor}, 2: {ann, eng}, 3: {ann, eng, rnd}},
		},
		{
			name: "a deny to a nested group reaches its members", rule: "a deny reaches the grantee's members, through nesting",
			grants: []model.GrantInput{allowOf(doc("doc1"), ann, model.LevelWrite), denyOf(doc("doc1"), rnd, model.LevelRead)},
			level:  model.LevelNone, denied: []int{1},
			chains: map[int][]model.Subject{1: {ann, eng, rnd}},
		},
		{
			name: "a deny on a parent reaches the entities below", rule: "a deny applies on every entity below its entity",
			grants: []model.GrantInput{allowOf(doc("doc1"), ann, model.LevelAdmin), denyOf(folder("root"), ann, model.LevelAdmin)},
			level:  model.LevelWrite, via: []int{0}, denied: []int{1},
			entityPath: map[int][]model.EntityRef{1: {doc("doc1"), folder("sub"), folder("root")}},
		},
		{
			name: "the lowest of several denies wins", rule: "capped below the lowest active deny",
			grants: []model.GrantInput{
				allowOf(doc("doc1"), ann, model.LevelAdmin), denyOf(doc("doc1"), ann, model.LevelAdmin), denyOf(folder("sub"), eng, model.LevelWrite),
			},
			level: model.LevelRead, via: []int{0}, denied: []int{1, 2},
			chains:     map[int][]model.Subject{2: {ann, eng}},
			entityPath: map[int][]model.EntityRef{2: {doc("doc1"), folder("sub")}},
		},
		{
			name: "a deny on another entity takes nothing", rule: "a deny reaches only its entity and those below",
			grants: []model.GrantInput{allowOf(doc("doc1"), ann, model.LevelAdmin), denyOf(doc("doc2"), ann, model.LevelRead)},
			level:  model.LevelAdmin, via: []int{0},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ctx := ruleWorld(t)
			var gs []model.Grant
			for _, in := range c.grants {
				gs = append(gs, mustCreate(t, e, testOrg, in))
			}
			expect := func(idx []int) []resolve.Path {
				var out []resolve.Path
				for _, i := range idx {
					chain := c.chains[i]
					if chain == nil {
						chain = []model.Subject{ann}
					}
					ents := c.entityPath[i]
					if ents == nil {
						ents = d1
					}
					out = append(out, pathOf(gs[i], ents, chain...))
				}
				return out
			}
			d, err := e.Resolve(ctx, testOrg, "ann", doc("doc1"))
			require.NoError(t, err)
			assert.Equal(t, c.level, d.Level, c.rule)
			assert.Equal(t, expect(c.via), d.Via, "Via: %s", c.rule)
			assert.Equal(t, expect(c.denied), d.Denied, "Denied: %s", c.rule)
			for _, l := range []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin} {
				ok, err := e.Check(ctx, testOrg, "ann", doc("doc1"), l)
				require.NoError(t, err)
				assert.Equal(t, c.level >= l, ok, "Check at %s: %s", l, c.rule)
			}
			// The lists honour the same decision.
			got, err := e.ResolvedAccess(ctx, testOrg, "ann", resolve.Query{EntityType: "document"})
			require.NoError(t, err)
			var onDoc1 []resolve.Decision
			for _, x := range got {
				if x.Entity == doc("doc1") {
					onDoc1 = append(onDoc1, x)
				}
			}
			if c.level == model.LevelNone {
				assert.Empty(t, onDoc1, "ResolvedAccess honours denies")
			} else {
				assert.Equal(t, []resolve.Decision{d}, onDoc1)
			}
			users, err := e.UsersWithAccess(ctx, testOrg, doc("doc1"), model.LevelRead)
			require.NoError(t, err)
			var annAccess []resolve.UserAccess
			for _, u := range users {
				if u.User == "ann" {
					annAccess = append(annAccess, u)
				}
			}
			if c.level == model.LevelNone {
				assert.Empty(t, annAccess, "UsersWithAccess honours denies")
			} else {
				assert.Equal(t, []resolve.UserAccess{{User: "ann", Level: d.Level, Via: d.Via, Denied: d.Denied}}, annAccess)
			}
		})
	}
}

func TestDenyIsItsOwnGrant(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	allow := mustCreate(t, e, testOrg, allowOf(doc("doc1"), model.User("ann"), model.LevelAdmin))
	deny := mustCreate(t, e, testOrg, denyOf(doc("doc1"), model.User("ann"), model.LevelWrite))
	assert.NotEqual(t, allow.ID, deny.ID, "one allow and one deny per pair, each with its own id")
	assert.Equal(t, model.EffectDeny, deny.Effect)

	_, err := e.CreateGrant(ctx, testOrg, denyOf(doc("doc1"), model.User("ann"), model.LevelRead))
	requireModelError(t, err, model.ErrDuplicate, model.FieldGranteeID)

	got, err := e.GetGrant(ctx, testOrg, deny.ID)
	require.NoError(t, err)
	assert.Equal(t, deny, got)
	assert.Equal(t, []string{allow.ID, deny.ID}, grantIDs(listAll(t, e, testOrg, model.GrantQuery{Entity: doc("doc1")})),
		"listed in key order: entity, grantee, effect (allow first)")

	// UpdateGrant keeps the effect; revoking the deny gives the level back.
	up, err := e.UpdateGrant(ctx, testOrg, deny.ID, model.LevelRead)
	require.NoError(t, err)
	assert.Equal(t, model.EffectDeny, up.Effect)
	ok, err := e.Check(ctx, testOrg, "ann", doc("doc1"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, e.RevokeGrant(ctx, testOrg, deny.ID))
	ok, err = e.Check(ctx, testOrg, "ann", doc("doc1"), model.LevelAdmin)
	require.NoError(t, err)
	assert.True(t, ok)

	_, err = e.CreateGrant(ctx, testOrg, model.GrantInput{Entity: doc("doc1"), Grantee: model.User("ann"), Level: model.LevelRead, Effect: 5})
	requireModelError(t, err, model.ErrValidation, model.FieldEffect)
}

// A deny outside its window takes nothing away, but is listed and counts
// as a duplicate; once ended it behaves as revoked.
func TestDenyWindows(t *testing.T) {
	e, clock := newTestEngine(t)
	ctx := context.Background()
	now := t0.UTC()
	mustCreate(t, e, testOrg, allowOf(doc("doc1"), model.User("ann"), model.LevelAdmin))
	in := denyOf(doc("doc1"), model.User("ann"), model.LevelRead)
	in.EffectiveFrom, in.EffectiveTo = now.Add(time.Hour), now.Add(2*time.Hour)
	deny := mustCreate(t, e, testOrg, in)

	check := func() bool {
		ok, err := e.Check(ctx, testOrg, "ann", doc("doc1"), model.LevelRead)
		require.NoError(t, err)
		return ok
	}
	assert.True(t, check(), "a deny not yet started takes nothing away")
	d, err := e.Resolve(ctx, testOrg, "ann", doc("doc1"))
	require.NoError(t, err)
	assert.Empty(t, d.Denied, "only active denies are named")
	assert.Contains(t, grantIDs(listAll(t, e, testOrg, model.GrantQuery{})), deny.ID, "but it is listed")
	_, err = e.CreateGrant(ctx, testOrg, denyOf(doc("doc1"), model.User("ann"), model.LevelWrite))
	requireModelError(t, err, model.ErrDuplicate, model.FieldGranteeID)

	clock.Set(now.Add(time.Hour))
	assert.False(t, check(), "the deny has started")
	clock.Set(now.Add(2 * time.Hour))
	assert.True(t, check(), "the deny has ended")
	_, err = e.GetGrant(ctx, testOrg, deny.ID)
	requireModelError(t, err, model.ErrNotFound, model.FieldGrantID)
	again := mustCreate(t, e, testOrg, denyOf(doc("doc1"), model.User("ann"), model.LevelWrite))
	assert.NotEqual(t, deny.ID, again.ID, "an ended deny no longer counts as a duplicate")
}

// The sweeper removes an ended deny by its own key, leaving the allow of the
// same pair in place.
func TestSweepRemovesEndedDeny(t *testing.T) {
	e, clock := newTestEngine(t)
	ctx := context.Background()
	now := t0.UTC()
	allow := mustCreate(t, e, testOrg, allowOf(doc("doc1"), model.User("ann"), model.LevelAdmin))
	in := denyOf(doc("doc1"), model.User("ann"), model.LevelRead)
	in.EffectiveTo = now.Add(time.Hour)
	mustCreate(t, e, testOrg, in)
	clock.Set(now.Add(time.Hour))
	n, err := engine.SweepNow(ctx, e)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{allow.ID}, grantIDs(listAll(t, e, testOrg, model.GrantQuery{})))
	ok, err := e.Check(ctx, testOrg, "ann", doc("doc1"), model.LevelAdmin)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestBulkCreateWithDenies(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	items := []model.GrantInput{
		allowOf(doc("doc1"), model.User("ann"), model.LevelAdmin),
		denyOf(doc("doc1"), model.User("ann"), model.LevelWrite),
		denyOf(doc("doc1"), model.User("ann"), model.LevelRead),
	}
	res, err := e.BulkCreate(ctx, testOrg, items, bulk.Options{})
	require.NoError(t, err)
	assert.Equal(t, []bulk.Status{bulk.StatusCreated, bulk.StatusCreated, bulk.StatusSkipped},
		[]bulk.Status{res.Items[0].Status, res.Items[1].Status, res.Items[2].Status},
		"duplicates by (entity, grantee, effect)")
	assert.Equal(t, res.Items[1].Grant.ID, res.Items[2].Grant.ID)
	assert.Equal(t, model.EffectDeny, res.Items[1].Grant.Effect)

	res, err = e.BulkCreate(ctx, testOrg, items[2:], bulk.Options{Mode: bulk.Upsert})
	require.NoError(t, err)
	assert.Equal(t, bulk.StatusUpdated, res.Items[0].Status)
	ok, err := e.Check(ctx, testOrg, "ann", doc("doc1"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok, "the upserted deny now denies read")

	res, err = e.BulkCreate(ctx, testOrg, items[:2], bulk.Options{Mode: bulk.AllOrNothing})
	require.NoError(t, err)
	assert.False(t, res.Committed)
	assert.Equal(t, 409, res.HTTPStatus())
}

func TestJobsWithDenies(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	ann, ops := model.User("ann"), model.Role("ops")
	allowAnn := mustCreate(t, e, testOrg, allowOf(doc("doc1"), ann, model.LevelAdmin))
	mustCreate(t, e, testOrg, allowOf(doc("doc1"), ops, model.LevelRead))

	// ann switched from allow to deny: her allow goes, a new deny comes.
	sum, err := e.SubmitJob(ctx, testOrg, bulk.JobSpec{
		Operation: bulk.OpReplaceAll, Resources: []model.EntityRef{doc("doc1")}, RequestedBy: "usr_admin",
		ACL: []bulk.ACE{{Grantee: ann, Level: model.LevelWrite, Effect: model.EffectDeny}, {Grantee: ops, Level: model.LevelRead}},
	})
	require.NoError(t, err)
	sum, err = e.WaitJob(ctx, testOrg, sum.ID)
	require.NoError(t, err)
	require.Equal(t, bulk.JobSucceeded, sum.Status)
	gs := listAll(t, e, testOrg, model.GrantQuery{Entity: doc("doc1")})
	require.Len(t, gs, 2)
	assert.Equal(t, ops, gs[0].Grantee, "role:ops sorts before user:ann")
	assert.Equal(t, ann, gs[1].Grantee)
	assert.Equal(t, model.EffectDeny, gs[1].Effect)
	assert.NotEqual(t, allowAnn.ID, gs[1].ID, "a grantee switched from allow to deny gets a new grant id")
	assert.Equal(t, "usr_admin", gs[1].GrantedBy)

	// Two entries of one grantee, one per effect, are allowed; two of one
	// effect are not.
	_, err = e.SubmitJob(ctx, testOrg, bulk.JobSpec{
		Operation: bulk.OpReplaceAll, Resources: []model.EntityRef{doc("doc1")},
		ACL: []bulk.ACE{{Grantee: ann, Level: model.LevelRead, Effect: model.EffectDeny}, {Grantee: ann, Level: model.LevelWrite, Effect: model.EffectDeny}},
	})
	requireModelError(t, err, model.ErrValidation, model.FieldGranteeID)
	_, err = e.SubmitJob(ctx, testOrg, bulk.JobSpec{
		Operation: bulk.OpReplaceAll, Resources: []model.EntityRef{doc("doc1")},
		ACL: []bulk.ACE{{Grantee: ann, Level: model.LevelRead, Effect: 3}},
	})
	requireModelError(t, err, model.ErrValidation, model.FieldEffect)
	sum, err = e.SubmitJob(ctx, testOrg, bulk.JobSpec{
		Operation: bulk.OpReplaceGrantees, Resources: []model.EntityRef{doc("doc1")}, Grantees: []model.Subject{ann},
		ACL: []bulk.ACE{{Grantee: ann, Level: model.LevelAdmin}, {Grantee: ann, Level: model.LevelAdmin, Effect: model.EffectDeny}},
	})
	require.NoError(t, err)
	_, err = e.WaitJob(ctx, testOrg, sum.ID)
	require.NoError(t, err)
	gs = listAll(t, e, testOrg, model.GrantQuery{Entity: doc("doc1"), Grantee: ann})
	require.Len(t, gs, 2)
	assert.Equal(t, []model.Effect{model.EffectAllow, model.EffectDeny}, []model.Effect{gs[0].Effect, gs[1].Effect})
	assert.Equal(t, model.LevelAdmin, gs[1].Level, "the surviving deny takes the entry's level")

	// OpRevoke removes allows and denies alike.
	sum, err = e.SubmitJob(ctx, testOrg, bulk.JobSpec{
		Operation: bulk.OpRevoke, Resources: []model.EntityRef{doc("doc1")}, Grantees: []model.Subject{ann},
	})
	require.NoError(t, err)
	_, err = e.WaitJob(ctx, testOrg, sum.ID)
	require.NoError(t, err)
	assert.Empty(t, listAll(t, e, testOrg, model.GrantQuery{Entity: doc("doc1"), Grantee: ann}))
}

// Pages of a listing that mixes allows and denies cut anywhere, by entity
// and by grantee, and return every grant once, in key order.
func TestListGrantsPagesThroughDenies(t *testing.T) {
	e, _ := newTestEngine(t)
	var want []string
	for _, d := range []string{"doc1", "doc2"} {
		for _, u := range []string{"an", "ann"} {
			want = append(want, mustCreate(t, e, testOrg, allowOf(doc(d), model.User(u), model.LevelRead)).ID)
			want = append(want, mustCreate(t, e, testOrg, denyOf(doc(d), model.User(u), model.LevelAdmin)).ID)
		}
	}
	for _, limit := range []int{1, 2, 3} {
		assert.Equal(t, want, grantIDs(listAll(t, e, testOrg, model.GrantQuery{Limit: limit})), "limit %d", limit)
		byGrantee := grantIDs(listAll(t, e, testOrg, model.GrantQuery{Grantee: model.User("ann"), Limit: limit}))
		assert.Equal(t, []string{want[2], want[3], want[6], want[7]}, byGrantee, "limit %d", limit)
		pair := grantIDs(listAll(t, e, testOrg, model.GrantQuery{Entity: doc("doc1"), Grantee: model.User("an"), Limit: limit}))
		assert.Equal(t, want[:2], pair, "limit %d", limit)
	}
}
