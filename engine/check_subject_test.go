package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

func TestCheckSubjectRules(t *testing.T) {
	ann, eng, rnd := model.User("ann"), model.Department("eng"), model.Department("rnd")
	editor, senior := model.Role("editor"), model.Role("senior_editor")
	cases := []struct {
		name    string
		rule    string
		grants  []model.GrantInput
		subject model.Subject
		entity  model.EntityRef
		level   model.Level // the highest level CheckSubject allows
	}{
		{
			name: "a group's own grant", rule: "the grants of the group",
			grants:  []model.GrantInput{allowOf(doc("d1"), eng, model.LevelWrite)},
			subject: eng, entity: doc("d1"), level: model.LevelWrite,
		},
		{
			name: "a nested department gets its parent's grant", rule: "and of every group it reaches",
			grants:  []model.GrantInput{allowOf(doc("d1"), rnd, model.LevelRead)},
			subject: eng, entity: doc("d1"), level: model.LevelRead,
		},
		{
			name: "never downwards", rule: "a group does not get the grants of groups inside it",
			grants:  []model.GrantInput{allowOf(doc("d1"), eng, model.LevelRead)},
			subject: rnd, entity: doc("d1"),
		},
		{
			name: "a senior role carries the junior's", rule: "roles that include roles",
			grants:  []model.GrantInput{allowOf(doc("d1"), editor, model.LevelAdmin)},
			subject: senior, entity: doc("d1"), level: model.LevelAdmin,
		},
		{
			name: "a member's own grant does not count", rule: "grants to users do not count",
			grants:  []model.GrantInput{allowOf(doc("d1"), ann, model.LevelAdmin)},
			subject: eng, entity: doc("d1"),
		},
		{
			name: "a deny to a member does not count", rule: "denies addressed to individual users do not count",
			grants:  []model.GrantInput{allowOf(doc("d1"), eng, model.LevelAdmin), denyOf(doc("d1"), ann, model.LevelRead)},
			subject: eng, entity: doc("d1"), level: model.LevelAdmin,
		},
		{
			name: "a deny to a reached group counts", rule: "what every member gets from the group",
			grants:  []model.GrantInput{allowOf(doc("d1"), eng, model.LevelAdmin), denyOf(doc("d1"), rnd, model.LevelWrite)},
			subject: eng, entity: doc("d1"), level: model.LevelRead,
		},
		{
			name: "inherited along links", rule: "grants on the entities above count",
			grants:  []model.GrantInput{allowOf(folder("f1"), rnd, model.LevelWrite)},
			subject: eng, entity: doc("d1"), level: model.LevelWrite,
		},
		{
			name: "a group never seen", rule: "a subject the engine has never seen has no access",
			grants:  []model.GrantInput{allowOf(doc("d1"), eng, model.LevelAdmin)},
			subject: model.Role("ghost"), entity: doc("d1"),
		},
		{
			name: "a user never seen", rule: "a subject the engine has never seen has no access",
			subject: model.User("ghost"), entity: doc("d1"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			ctx := context.Background()
			require.NoError(t, e.AddMembers(ctx, testOrg,
				membership(ann, eng), membership(eng, rnd), membership(senior, editor), membership(ann, senior),
			))
			require.NoError(t, e.LinkEntities(ctx, testOrg, linkOf(doc("d1"), folder("f1"))))
			for _, in := range c.grants {
				mustCreate(t, e, testOrg, in)
			}
			for _, l := range []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin} {
				ok, err := e.CheckSubject(ctx, testOrg, c.subject, c.entity, l)
				require.NoError(t, err)
				assert.Equal(t, c.level >= l, ok, "%s at %s: %s", c.subject, l, c.rule)
			}
		})
	}
}

// For a user, CheckSubject is Check.
func TestCheckSubjectOfAUserIsCheck(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(model.User("ann"), model.Department("eng"))))
	mustCreate(t, e, testOrg, allowOf(doc("d1"), model.Department("eng"), model.LevelAdmin))
	mustCreate(t, e, testOrg, denyOf(doc("d1"), model.User("ann"), model.LevelAdmin))
	for _, l := range []model.Level{model.LevelRead, model.LevelWrite, model.LevelAdmin} {
		want, err := e.Check(ctx, testOrg, "ann", doc("d1"), l)
		require.NoError(t, err)
		got, err := e.CheckSubject(ctx, testOrg, model.User("ann"), doc("d1"), l)
		require.NoError(t, err)
		assert.Equal(t, want, got, "at %s", l)
	}
}

func TestCheckSubjectRefusals(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	_, err := e.CheckSubject(ctx, testOrg, model.Subject{Type: "robot", ID: "r2"}, doc("d1"), model.LevelRead)
	requireModelError(t, err, model.ErrValidation, model.FieldGranteeType)
	_, err = e.CheckSubject(ctx, testOrg, model.Role(""), doc("d1"), model.LevelRead)
	requireModelError(t, err, model.ErrValidation, model.FieldGranteeID)
	_, err = e.CheckSubject(ctx, testOrg, model.Role("r"), model.EntityRef{Type: "document"}, model.LevelRead)
	requireModelError(t, err, model.ErrValidation, model.FieldEntityID)
	_, err = e.CheckSubject(ctx, testOrg, model.Role("r"), doc("d1"), model.LevelNone)
	requireModelError(t, err, model.ErrValidation, model.FieldAccessLevel)
	require.NoError(t, e.Close())
	_, err = e.CheckSubject(ctx, testOrg, model.Role("r"), doc("d1"), model.LevelRead)
	assert.ErrorIs(t, err, model.ErrClosed)
}
