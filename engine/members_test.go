package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// membership is the membership of member in group.
func membership(member, group model.Subject) model.Membership {
	return model.Membership{Member: member, Group: group}
}

var (
	userAlice  = model.User("alice")
	userBob    = model.User("bob")
	deptEng    = model.Department("eng")
	deptRnD    = model.Department("rnd")
	deptOps    = model.Department("ops")
	roleEditor = model.Role("editor")
	roleSenior = model.Role("senior_editor")
	roleChief  = model.Role("chief_editor")
)

// mayAccess asks Check whether user reaches level on entity in org.
func mayAccess(t *testing.T, e *engine.Engine, org, user string, entity model.EntityRef, level model.Level) bool {
	t.Helper()
	ok, err := e.Check(context.Background(), org, user, entity, level)
	require.NoError(t, err)
	return ok
}

// grantTo gives grantee level on entity in testOrg.
func grantTo(t *testing.T, e *engine.Engine, grantee model.Subject, entity model.EntityRef, level model.Level) {
	t.Helper()
	mustCreate(t, e, testOrg, model.GrantInput{Entity: entity, Grantee: grantee, Level: level})
}

func TestMembershipsGiveGroupAccess(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	grantTo(t, e, deptRnD, doc("spec"), model.LevelRead)
	grantTo(t, e, roleEditor, doc("spec"), model.LevelWrite)
	grantTo(t, e, roleChief, doc("spec"), model.LevelAdmin)

	assert.False(t, mayAccess(t, e, testOrg, "alice", doc("spec"), model.LevelRead))

	// A department nested in a department: members of deptEng are members of rnd.
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(userAlice, deptEng), membership(deptEng, deptRnD)))
	assert.True(t, mayAccess(t, e, testOrg, "alice", doc("spec"), model.LevelRead))
	assert.False(t, mayAccess(t, e, testOrg, "alice", doc("spec"), model.LevelWrite))

	// A roleSenior role carries a junior role's access, not the other way round.
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(roleSenior, roleEditor), membership(roleChief, roleSenior), membership(userBob, roleSenior)))
	assert.True(t, mayAccess(t, e, testOrg, "bob", doc("spec"), model.LevelWrite))
	assert.False(t, mayAccess(t, e, testOrg, "bob", doc("spec"), model.LevelAdmin))
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(userAlice, roleChief)))
	assert.True(t, mayAccess(t, e, testOrg, "alice", doc("spec"), model.LevelAdmin))

	// Direct grants and memberships combine; other entities stay closed.
	grantTo(t, e, userBob, doc("notes"), model.LevelRead)
	assert.True(t, mayAccess(t, e, testOrg, "bob", doc("notes"), model.LevelRead))
	assert.False(t, mayAccess(t, e, testOrg, "bob", doc("other"), model.LevelRead))
	assert.False(t, mayAccess(t, e, testOrg, "carol", doc("spec"), model.LevelRead))

	// Removing the nesting takes the department's access away.
	require.NoError(t, e.RemoveMembers(ctx, testOrg, membership(deptEng, deptRnD)))
	assert.False(t, mayAccess(t, e, testOrg, "bob", doc("spec"), model.LevelAdmin))
	require.NoError(t, e.RemoveMembers(ctx, testOrg, membership(userAlice, roleChief)))
	assert.False(t, mayAccess(t, e, testOrg, "alice", doc("spec"), model.LevelRead))
}

func TestAddMembersIsIdempotent(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	grantTo(t, e, deptEng, doc("d1"), model.LevelRead)

	require.NoError(t, e.AddMembers(ctx, testOrg, membership(userAlice, deptEng)))
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(userAlice, deptEng)))
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(userAlice, deptEng), membership(userAlice, deptEng)))
	require.NoError(t, e.AddMembers(ctx, testOrg)) // nothing to add
	assert.True(t, mayAccess(t, e, testOrg, "alice", doc("d1"), model.LevelRead))

	// One remove undoes any number of adds: it was stored once.
	require.NoError(t, e.RemoveMembers(ctx, testOrg, membership(userAlice, deptEng)))
	assert.False(t, mayAccess(t, e, testOrg, "alice", doc("d1"), model.LevelRead))
}

func TestRemoveMissingMemberIsNoOp(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	grantTo(t, e, deptEng, doc("d1"), model.LevelRead)
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(userAlice, deptEng)))

	require.NoError(t, e.RemoveMembers(ctx, testOrg, membership(userBob, deptEng), membership(deptEng, deptRnD), membership(userAlice, roleEditor)))
	require.NoError(t, e.RemoveMembers(ctx, otherOrg, membership(userAlice, deptEng)))
	require.NoError(t, e.RemoveMembers(ctx, testOrg))
	assert.True(t, mayAccess(t, e, testOrg, "alice", doc("d1"), model.LevelRead))

	// A batch of one present and one missing removes the present one.
	require.NoError(t, e.RemoveMembers(ctx, testOrg, membership(userBob, deptEng), membership(userAlice, deptEng)))
	assert.False(t, mayAccess(t, e, testOrg, "alice", doc("d1"), model.LevelRead))
}

func TestAddMembersRefusals(t *testing.T) {
	long := strings.Repeat("g", model.MaxIDLen+1)
	cases := []struct {
		name     string
		emptyOrg bool
		existing []model.Membership
		batch    []model.Membership
		sentinel error
		field    string
	}{
		{name: "empty org", emptyOrg: true, batch: []model.Membership{membership(userAlice, deptEng)}, sentinel: model.ErrValidation, field: model.FieldOrg},
		{name: "user as group", batch: []model.Membership{membership(userAlice, userBob)}, sentinel: model.ErrValidation, field: model.FieldGroupType},
		{name: "unknown group type", batch: []model.Membership{membership(userAlice, model.Subject{Type: "team", ID: "t"})}, sentinel: model.ErrValidation, field: model.FieldGroupType},
		{name: "department in role", batch: []model.Membership{membership(deptEng, roleEditor)}, sentinel: model.ErrValidation, field: model.FieldMemberType},
		{name: "role in department", batch: []model.Membership{membership(roleEditor, deptEng)}, sentinel: model.ErrValidation, field: model.FieldMemberType},
		{name: "unknown member type", batch: []model.Membership{membership(model.Subject{Type: "bot", ID: "b"}, deptEng)}, sentinel: model.ErrValidation, field: model.FieldMemberType},
		{name: "empty member id", batch: []model.Membership{membership(model.User(""), deptEng)}, sentinel: model.ErrValidation, field: model.FieldMemberID},
		{name: "invalid UTF-8 member id", batch: []model.Membership{membership(model.User("a\xffb"), deptEng)}, sentinel: model.ErrValidation, field: model.FieldMemberID},
		{name: "control char in member id", batch: []model.Membership{membership(model.User("a\x1bb"), deptEng)}, sentinel: model.ErrValidation, field: model.FieldMemberID},
		{name: "over-long group id", batch: []model.Membership{membership(userAlice, model.Department(long))}, sentinel: model.ErrValidation, field: model.FieldGroupID},
		{name: "department in itself", batch: []model.Membership{membership(deptEng, deptEng)}, sentinel: model.ErrConflict, field: model.FieldGroupID},
		{name: "role in itself", batch: []model.Membership{membership(roleEditor, roleEditor)}, sentinel: model.ErrConflict, field: model.FieldGroupID},
		{name: "two-group cycle", existing: []model.Membership{membership(deptEng, deptRnD)},
			batch: []model.Membership{membership(deptRnD, deptEng)}, sentinel: model.ErrConflict, field: model.FieldGroupID},
		{name: "three-role cycle", existing: []model.Membership{membership(roleChief, roleSenior), membership(roleSenior, roleEditor)},
			batch: []model.Membership{membership(roleEditor, roleChief)}, sentinel: model.ErrConflict, field: model.FieldGroupID},
		{name: "cycle formed within the batch", batch: []model.Membership{membership(deptEng, deptRnD), membership(deptRnD, deptOps), membership(deptOps, deptEng)},
			sentinel: model.ErrConflict, field: model.FieldGroupID},
		{name: "cycle formed within the batch, two groups", batch: []model.Membership{membership(roleSenior, roleEditor), membership(roleEditor, roleSenior)},
			sentinel: model.ErrConflict, field: model.FieldGroupID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e, _ := newTestEngine(t)
			grantTo(t, e, deptEng, doc("d1"), model.LevelRead)
			grantTo(t, e, roleEditor, doc("d1"), model.LevelWrite)
			require.NoError(t, e.AddMembers(ctx, testOrg, tc.existing...))
			org := testOrg
			if tc.emptyOrg {
				org = ""
			}

			// The bad membership comes last, after good ones: none is added.
			batch := append([]model.Membership{membership(userAlice, deptEng), membership(userBob, roleEditor)}, tc.batch...)
			err := e.AddMembers(ctx, org, batch...)
			requireModelError(t, err, tc.sentinel, tc.field)

			assert.False(t, mayAccess(t, e, testOrg, "alice", doc("d1"), model.LevelRead), "a membership of the refused batch was added")
			assert.False(t, mayAccess(t, e, testOrg, "bob", doc("d1"), model.LevelRead), "a membership of the refused batch was added")
			// The group-in-group memberships of the batch were not added
			// either: adding each reversed would otherwise be a cycle.
			for _, m := range tc.batch {
				if m.Member.Type == m.Group.Type && m.Member != m.Group && m.Group.Type.IsGroup() && !containsMembership(tc.existing, membership(m.Group, m.Member)) {
					assert.NoError(t, e.AddMembers(ctx, testOrg, membership(m.Group, m.Member)), "reverse of %v", m)
					require.NoError(t, e.RemoveMembers(ctx, testOrg, membership(m.Group, m.Member)))
				}
			}
		})
	}
}

func containsMembership(ms []model.Membership, m model.Membership) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

func TestRemoveMembersBadInput(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	grantTo(t, e, deptEng, doc("d1"), model.LevelRead)
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(userAlice, deptEng)))

	err := e.RemoveMembers(ctx, "", membership(userAlice, deptEng))
	requireModelError(t, err, model.ErrValidation, model.FieldOrg)
	// One bad membership and none is removed.
	err = e.RemoveMembers(ctx, testOrg, membership(userAlice, deptEng), membership(userAlice, userBob))
	requireModelError(t, err, model.ErrValidation, model.FieldGroupType)
	err = e.RemoveMembers(ctx, testOrg, membership(userAlice, deptEng), membership(deptEng, roleEditor))
	requireModelError(t, err, model.ErrValidation, model.FieldMemberType)
	assert.True(t, mayAccess(t, e, testOrg, "alice", doc("d1"), model.LevelRead))

	// A group in itself can never be stored, so removing it is a no-op.
	require.NoError(t, e.RemoveMembers(ctx, testOrg, membership(deptEng, deptEng)))
	assert.True(t, mayAccess(t, e, testOrg, "alice", doc("d1"), model.LevelRead))
}

// A cycle is judged on the memberships stored now: once the path back is
// removed, the membership that would have closed it is allowed.
func TestCycleCheckFollowsRemovals(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(deptEng, deptRnD), membership(deptRnD, deptOps)))
	requireModelError(t, e.AddMembers(ctx, testOrg, membership(deptOps, deptEng)), model.ErrConflict, model.FieldGroupID)
	require.NoError(t, e.RemoveMembers(ctx, testOrg, membership(deptRnD, deptOps)))
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(deptOps, deptEng)))

	// Diamonds are not cycles.
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(roleSenior, roleEditor), membership(roleChief, roleEditor), membership(model.Role("lead"), roleSenior), membership(model.Role("lead"), roleChief)))
}

func TestMembershipsAreScopedByOrganisation(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	grantTo(t, e, deptEng, doc("d1"), model.LevelRead)
	mustCreate(t, e, otherOrg, model.GrantInput{Entity: doc("d1"), Grantee: deptEng, Level: model.LevelRead})

	require.NoError(t, e.AddMembers(ctx, otherOrg, membership(userAlice, deptEng), membership(deptEng, deptRnD)))
	assert.False(t, mayAccess(t, e, testOrg, "alice", doc("d1"), model.LevelRead))
	assert.True(t, mayAccess(t, e, otherOrg, "alice", doc("d1"), model.LevelRead))

	// A cycle needs memberships of one organisation.
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(deptRnD, deptEng)))

	// Removing in one organisation leaves the other's.
	require.NoError(t, e.RemoveMembers(ctx, testOrg, membership(userAlice, deptEng)))
	assert.True(t, mayAccess(t, e, otherOrg, "alice", doc("d1"), model.LevelRead))
}
