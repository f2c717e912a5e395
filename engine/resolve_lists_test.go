package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// listsOrg sets up: departments rnd > eng > platform, roles editor <
// senior_editor, users in them, and grants on documents and folders.
func listsOrg(t *testing.T) *engine.Engine {
	t.Helper()
	e, _ := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.AddMembers(ctx, testOrg,
		membership(model.Department("eng"), model.Department("rnd")),
		membership(model.Department("platform"), model.Department("eng")),
		membership(model.User("dora"), model.Department("rnd")),
		membership(model.User("erin"), model.Department("eng")),
		membership(model.User("pia"), model.Department("platform")),
		membership(model.Role("senior_editor"), model.Role("editor")),
		membership(model.User("carol"), model.Role("senior_editor")),
		membership(model.User("ed"), model.Role("editor")),
		membership(model.User("pia"), model.Role("editor")),
	))
	mustCreate(t, e, testOrg, grantOn("doc1", model.Department("rnd"), model.LevelRead))
	mustCreate(t, e, testOrg, grantOn("doc1", model.Role("editor"), model.LevelWrite))
	mustCreate(t, e, testOrg, grantOn("doc1", model.User("dora"), model.LevelAdmin))
	mustCreate(t, e, testOrg, grantOn("doc2", model.Department("platform"), model.LevelWrite))
	mustCreate(t, e, testOrg, model.GrantInput{Entity: folder("f1"), Grantee: model.Department("eng"), Level: model.LevelRead})
	mustCreate(t, e, testOrg, grantOn("doc3", model.User("zed"), model.LevelRead))
	return e
}

func TestUsersWithAccess(t *testing.T) {
	e := listsOrg(t)
	type row struct {
		User  string
		Level model.Level
	}
	cases := []struct {
		entity model.EntityRef
		min    model.Level
		want   []row
	}{
		{doc("doc1"), model.LevelNone, []row{
			{"carol", model.LevelWrite}, {"dora", model.LevelAdmin}, {"ed", model.LevelWrite},
			{"erin", model.LevelRead}, {"pia", model.LevelWrite},
		}},
		{doc("doc1"), model.LevelWrite, []row{
			{"carol", model.LevelWrite}, {"dora", model.LevelAdmin}, {"ed", model.LevelWrite}, {"pia", model.LevelWrite},
		}},
		{doc("doc1"), model.LevelAdmin, []row{{"dora", model.LevelAdmin}}},
		{doc("doc2"), model.LevelRead, []row{{"pia", model.LevelWrite}}},
		{folder("f1"), model.LevelRead, []row{{"erin", model.LevelRead}, {"pia", model.LevelRead}}},
		{doc("doc3"), model.LevelRead, []row{{"zed", model.LevelRead}}},
		{doc("nothing"), model.LevelRead, []row{}},
	}
	for _, tc := range cases {
		t.Run(tc.entity.String()+"/"+tc.min.String(), func(t *testing.T) {
			got, err := e.UsersWithAccess(context.Background(), testOrg, tc.entity, tc.min)
			require.NoError(t, err)
			rows := []row{}
			for _, u := range got {
				rows = append(rows, row{u.User, u.Level})
				require.NotEmpty(t, u.Via)
				for _, p := range u.Via {
					assert.Equal(t, model.User(u.User), p.Chain[0])
					assert.Equal(t, p.Grant.Grantee, p.Chain[len(p.Chain)-1])
					assert.Equal(t, u.Level, p.Grant.Level)
				}
			}
			assert.Equal(t, tc.want, rows)
		})
	}
}

func TestUsersWithAccessExplainsRoleInclusion(t *testing.T) {
	e := listsOrg(t)
	got, err := e.UsersWithAccess(context.Background(), testOrg, doc("doc1"), model.LevelWrite)
	require.NoError(t, err)
	require.Equal(t, "carol", got[0].User)
	require.Len(t, got[0].Via, 1)
	assert.Equal(t, "user:carol > role:senior_editor > role:editor", chainOf(got[0].Via[0]))
}

func TestResolvedAccess(t *testing.T) {
	e := listsOrg(t)
	type row struct {
		Entity model.EntityRef
		Level  model.Level
	}
	cases := []struct {
		user string
		q    resolve.Query
		want []row
	}{
		{"pia", resolve.Query{}, []row{
			{doc("doc1"), model.LevelWrite}, {doc("doc2"), model.LevelWrite}, {folder("f1"), model.LevelRead},
		}},
		{"pia", resolve.Query{MinLevel: model.LevelWrite}, []row{
			{doc("doc1"), model.LevelWrite}, {doc("doc2"), model.LevelWrite},
		}},
		{"pia", resolve.Query{EntityType: "folder"}, []row{{folder("f1"), model.LevelRead}}},
		{"dora", resolve.Query{}, []row{{doc("doc1"), model.LevelAdmin}}},
		{"dora", resolve.Query{EntityType: "folder"}, []row{}},
		{"carol", resolve.Query{MinLevel: model.LevelAdmin}, []row{}},
		{"nobody", resolve.Query{}, []row{}},
	}
	for _, tc := range cases {
		t.Run(tc.user+"/"+tc.q.EntityType+"/"+tc.q.MinLevel.String(), func(t *testing.T) {
			got, err := e.ResolvedAccess(context.Background(), testOrg, tc.user, tc.q)
			require.NoError(t, err)
			rows := []row{}
			for _, d := range got {
				rows = append(rows, row{d.Entity, d.Level})
				require.NotEmpty(t, d.Via)
				for _, p := range d.Via {
					assert.Equal(t, d.Entity, p.Grant.Entity)
					assert.Equal(t, model.User(tc.user), p.Chain[0])
				}
			}
			assert.Equal(t, tc.want, rows)
		})
	}
}

func TestResolveCallsRefuseBadInput(t *testing.T) {
	e := listsOrg(t)
	ctx := context.Background()
	long := string(make([]byte, model.MaxIDLen+1))
	calls := []struct {
		name  string
		call  func() error
		field string
	}{
		{"check org", func() error { _, err := e.Check(ctx, "", "u", doc("d"), model.LevelRead); return err }, model.FieldOrg},
		{"check user", func() error { _, err := e.Check(ctx, testOrg, "", doc("d"), model.LevelRead); return err }, model.FieldUserID},
		{"check user control", func() error { _, err := e.Check(ctx, testOrg, "a\nb", doc("d"), model.LevelRead); return err }, model.FieldUserID},
		{"check entity type", func() error {
			_, err := e.Check(ctx, testOrg, "u", model.EntityRef{Type: "Bad", ID: "d"}, model.LevelRead)
			return err
		}, model.FieldEntityType},
		{"check entity id", func() error { _, err := e.Check(ctx, testOrg, "u", doc(long), model.LevelRead); return err }, model.FieldEntityID},
		{"check level none", func() error { _, err := e.Check(ctx, testOrg, "u", doc("d"), model.LevelNone); return err }, model.FieldAccessLevel},
		{"check level 9", func() error { _, err := e.Check(ctx, testOrg, "u", doc("d"), model.Level(9)); return err }, model.FieldAccessLevel},
		{"resolve user", func() error { _, err := e.Resolve(ctx, testOrg, "", doc("d")); return err }, model.FieldUserID},
		{"resolve entity", func() error { _, err := e.Resolve(ctx, testOrg, "u", doc("")); return err }, model.FieldEntityID},
		{"resolved access org", func() error { _, err := e.ResolvedAccess(ctx, "", "u", resolve.Query{}); return err }, model.FieldOrg},
		{"resolved access user", func() error { _, err := e.ResolvedAccess(ctx, testOrg, long, resolve.Query{}); return err }, model.FieldUserID},
		{"resolved access type", func() error {
			_, err := e.ResolvedAccess(ctx, testOrg, "u", resolve.Query{EntityType: "9x"})
			return err
		}, model.FieldEntityType},
		{"resolved access level", func() error {
			_, err := e.ResolvedAccess(ctx, testOrg, "u", resolve.Query{MinLevel: model.Level(4)})
			return err
		}, model.FieldAccessLevel},
		{"users with access entity", func() error {
			_, err := e.UsersWithAccess(ctx, testOrg, model.EntityRef{ID: "d"}, model.LevelRead)
			return err
		}, model.FieldEntityType},
		{"users with access level", func() error { _, err := e.UsersWithAccess(ctx, testOrg, doc("d"), model.Level(200)); return err }, model.FieldAccessLevel},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) { requireModelError(t, c.call(), model.ErrValidation, c.field) })
	}
}

func TestResolveCallsAfterClose(t *testing.T) {
	e := listsOrg(t)
	ctx := context.Background()
	require.NoError(t, e.Close())
	_, err := e.Check(ctx, testOrg, "pia", doc("doc1"), model.LevelRead)
	assert.ErrorIs(t, err, model.ErrClosed)
	_, err = e.Resolve(ctx, testOrg, "pia", doc("doc1"))
	assert.ErrorIs(t, err, model.ErrClosed)
	_, err = e.ResolvedAccess(ctx, testOrg, "pia", resolve.Query{})
	assert.ErrorIs(t, err, model.ErrClosed)
	_, err = e.UsersWithAccess(ctx, testOrg, doc("doc1"), model.LevelRead)
	assert.ErrorIs(t, err, model.ErrClosed)
}

func TestResolveWithEntityTypes(t *testing.T) {
	e, _ := newTestEngine(t, engine.WithEntityTypes("document"))
	_, err := e.Check(context.Background(), testOrg, "u", folder("f1"), model.LevelRead)
	requireModelError(t, err, model.ErrValidation, model.FieldEntityType)
	ok, err := e.Check(context.Background(), testOrg, "u", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok)
}
