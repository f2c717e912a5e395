package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func validInput() model.GrantInput {
	return model.GrantInput{
		Entity:    model.EntityRef{Type: "knowledge_slice", ID: "kslice_abc123"},
		Grantee:   model.User("usr_def456"),
		Level:     model.LevelRead,
		GrantedBy: "usr_owner1",
	}
}

// anyTypes allows every well-formed entity type; seedTypes is the Aitronos
// seed's configuration.
var (
	anyTypes  = mustValidator()
	seedTypes = mustValidator("knowledge_slice", "vector_store", "assistant")
)

func mustValidator(types ...string) *model.Validator {
	v, err := model.NewValidator(types...)
	if err != nil {
		panic(err)
	}
	return v
}

func grantWith(change func(*model.GrantInput)) func(*model.Validator) error {
	return func(v *model.Validator) error {
		in := validInput()
		change(&in)
		return v.Grant(in, now)
	}
}

func membership(member, group model.Subject) func(*model.Validator) error {
	return func(v *model.Validator) error {
		return v.Membership(model.Membership{Member: member, Group: group})
	}
}

func orgID(org string) func(*model.Validator) error {
	return func(v *model.Validator) error { return v.Org(org) }
}

func TestValidationRejects(t *testing.T) {
	long := strings.Repeat("x", model.MaxIDLen+1)
	cases := []struct {
		name      string
		validator *model.Validator
		call      func(*model.Validator) error
		code      string
		field     string
		message   string
	}{
		// Ids: 1 to 256 bytes of valid UTF-8 without control characters.
		{"empty org", anyTypes, orgID(""), model.CodeValidation, model.FieldOrg, "organization_id is required"},
		{"org of 257 bytes", anyTypes, orgID(long), model.CodeValidation, model.FieldOrg, "organization_id must be at most 256 bytes"},
		{"org of invalid UTF-8", anyTypes, orgID("org_\xff"), model.CodeValidation, model.FieldOrg, "organization_id must be valid UTF-8"},
		{"org with NUL", anyTypes, orgID("org\x00x"), model.CodeValidation, model.FieldOrg, "organization_id must not contain control characters"},
		{"empty entity id", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.ID = "" }),
			model.CodeValidation, model.FieldEntityID, "entity_id is required"},
		{"entity id of 257 bytes", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.ID = long }),
			model.CodeValidation, model.FieldEntityID, "entity_id must be at most 256 bytes"},
		{"entity id of 257 bytes in multi-byte runes", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.ID = strings.Repeat("é", 128) + "x" }),
			model.CodeValidation, model.FieldEntityID, "entity_id must be at most 256 bytes"},
		{"entity id of invalid UTF-8", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.ID = "a\xc3\x28" }),
			model.CodeValidation, model.FieldEntityID, "entity_id must be valid UTF-8"},
		{"entity id with newline", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.ID = "a\nb" }),
			model.CodeValidation, model.FieldEntityID, "entity_id must not contain control characters"},
		{"entity id with DEL", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.ID = "a\x7f" }),
			model.CodeValidation, model.FieldEntityID, "entity_id must not contain control characters"},
		{"empty grantee id", anyTypes, grantWith(func(in *model.GrantInput) { in.Grantee.ID = "" }),
			model.CodeValidation, model.FieldGranteeID, "grantee_id is required"},
		{"grantee id of 257 bytes", anyTypes, grantWith(func(in *model.GrantInput) { in.Grantee.ID = long }),
			model.CodeValidation, model.FieldGranteeID, "grantee_id must be at most 256 bytes"},
		{"grantee id with NEL (C1 control)", anyTypes, grantWith(func(in *model.GrantInput) { in.Grantee.ID = "usr\u0085" }),
			model.CodeValidation, model.FieldGranteeID, "grantee_id must not contain control characters"},
		{"grantee id of a lone surrogate", anyTypes, grantWith(func(in *model.GrantInput) { in.Grantee.ID = "usr\xed\xa0\x80" }),
			model.CodeValidation, model.FieldGranteeID, "grantee_id must be valid UTF-8"},
		{"granted_by with tab", anyTypes, grantWith(func(in *model.GrantInput) { in.GrantedBy = "usr\towner" }),
			model.CodeValidation, model.FieldGrantedBy, "granted_by must not contain control characters"},
		{"granted_by of 257 bytes", anyTypes, grantWith(func(in *model.GrantInput) { in.GrantedBy = long }),
			model.CodeValidation, model.FieldGrantedBy, "granted_by must be at most 256 bytes"},

		// Entity types.
		{"empty entity type", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "" }),
			model.CodeValidation, model.FieldEntityType, "entity_type is required"},
		{"unknown entity type, configured set", seedTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "fleet" }),
			model.CodeValidation, model.FieldEntityType, "entity_type must be one of {'knowledge_slice', 'vector_store', 'assistant'}"},
		{"unknown entity type, two configured", mustValidator("a", "b", "a"), grantWith(func(in *model.GrantInput) { in.Entity.Type = "c" }),
			model.CodeValidation, model.FieldEntityType, "entity_type must be one of {'a', 'b'}"},
		{"uppercase entity type", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "Fleet" }),
			model.CodeValidation, model.FieldEntityType, "entity_type must match ^[a-z][a-z0-9_]{0,63}$"},
		{"entity type with leading digit", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "1fleet" }),
			model.CodeValidation, model.FieldEntityType, "entity_type must match ^[a-z][a-z0-9_]{0,63}$"},
		{"entity type with leading underscore", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "_fleet" }),
			model.CodeValidation, model.FieldEntityType, "entity_type must match ^[a-z][a-z0-9_]{0,63}$"},
		{"entity type with a dash", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "vector-store" }),
			model.CodeValidation, model.FieldEntityType, "entity_type must match ^[a-z][a-z0-9_]{0,63}$"},
		{"entity type of 65 chars", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "a" + strings.Repeat("b", 64) }),
			model.CodeValidation, model.FieldEntityType, "entity_type must match ^[a-z][a-z0-9_]{0,63}$"},
		{"entity type with NUL", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "fleet\x00" }),
			model.CodeValidation, model.FieldEntityType, "entity_type must match ^[a-z][a-z0-9_]{0,63}$"},
		{"well-formed but not configured", seedTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "Assistant" }),
			model.CodeValidation, model.FieldEntityType, "entity_type must be one of {'knowledge_slice', 'vector_store', 'assistant'}"},

		// Subject types.
		{"unknown grantee type", anyTypes, grantWith(func(in *model.GrantInput) { in.Grantee.Type = "group" }),
			model.CodeValidation, model.FieldGranteeType, "grantee_type must be one of {'user', 'department', 'role'}"},
		{"empty grantee type", anyTypes, grantWith(func(in *model.GrantInput) { in.Grantee.Type = "" }),
			model.CodeValidation, model.FieldGranteeType, "grantee_type must be one of {'user', 'department', 'role'}"},
		{"uppercase grantee type", anyTypes, grantWith(func(in *model.GrantInput) { in.Grantee.Type = "User" }),
			model.CodeValidation, model.FieldGranteeType, "grantee_type must be one of {'user', 'department', 'role'}"},

		// Levels.
		{"level none", anyTypes, grantWith(func(in *model.GrantInput) { in.Level = model.LevelNone }),
			model.CodeValidation, model.FieldAccessLevel, "access_level must be one of {'read', 'write', 'admin'}"},
		{"level 4", anyTypes, grantWith(func(in *model.GrantInput) { in.Level = 4 }),
			model.CodeValidation, model.FieldAccessLevel, "access_level must be one of {'read', 'write', 'admin'}"},
		{"level 255", anyTypes, grantWith(func(in *model.GrantInput) { in.Level = 255 }),
			model.CodeValidation, model.FieldAccessLevel, "access_level must be one of {'read', 'write', 'admin'}"},

		// Windows.
		{"reversed window", anyTypes, grantWith(func(in *model.GrantInput) {
			in.EffectiveFrom, in.EffectiveTo = now.Add(2*time.Hour), now.Add(time.Hour)
		}), model.CodeValidation, model.FieldEffectiveTo, "effective_to must be after effective_from"},
		{"equal bounds", anyTypes, grantWith(func(in *model.GrantInput) {
			in.EffectiveFrom, in.EffectiveTo = now.Add(time.Hour), now.Add(time.Hour)
		}), model.CodeValidation, model.FieldEffectiveTo, "effective_to must be after effective_from"},
		{"window already ended", anyTypes, grantWith(func(in *model.GrantInput) {
			in.EffectiveFrom, in.EffectiveTo = now.Add(-2*time.Hour), now.Add(-time.Hour)
		}), model.CodeValidation, model.FieldEffectiveTo, "effective_to must be in the future"},
		{"window ending now", anyTypes, grantWith(func(in *model.GrantInput) { in.EffectiveTo = now }),
			model.CodeValidation, model.FieldEffectiveTo, "effective_to must be in the future"},

		// Memberships.
		{"self-membership of a department", anyTypes, membership(model.Department("eng"), model.Department("eng")),
			model.CodeConflict, model.FieldGroupID, "a department cannot be a member of itself"},
		{"self-membership of a role", anyTypes, membership(model.Role("editor"), model.Role("editor")),
			model.CodeConflict, model.FieldGroupID, "a role cannot be a member of itself"},
		{"user as a group", anyTypes, membership(model.User("ann"), model.User("bob")),
			model.CodeValidation, model.FieldGroupType, "group_type must be one of {'department', 'role'}"},
		{"unknown group type", anyTypes, membership(model.User("ann"), model.Subject{Type: "team", ID: "t"}),
			model.CodeValidation, model.FieldGroupType, "group_type must be one of {'department', 'role'}"},
		{"department in a role", anyTypes, membership(model.Department("eng"), model.Role("editor")),
			model.CodeValidation, model.FieldMemberType, "member_type must be 'user' or 'role' for a role group"},
		{"role in a department", anyTypes, membership(model.Role("editor"), model.Department("eng")),
			model.CodeValidation, model.FieldMemberType, "member_type must be 'user' or 'department' for a department group"},
		{"unknown member type", anyTypes, membership(model.Subject{Type: "robot", ID: "r2"}, model.Role("editor")),
			model.CodeValidation, model.FieldMemberType, "member_type must be one of {'user', 'department', 'role'}"},
		{"empty member type", anyTypes, membership(model.Subject{ID: "r2"}, model.Role("editor")),
			model.CodeValidation, model.FieldMemberType, "member_type must be one of {'user', 'department', 'role'}"},
		{"empty group id", anyTypes, membership(model.User("ann"), model.Role("")),
			model.CodeValidation, model.FieldGroupID, "group_id is required"},
		{"member id with control character", anyTypes, membership(model.User("ann\x1b"), model.Role("editor")),
			model.CodeValidation, model.FieldMemberID, "member_id must not contain control characters"},
		{"member id of 257 bytes", anyTypes, membership(model.User(long), model.Role("editor")),
			model.CodeValidation, model.FieldMemberID, "member_id must be at most 256 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(c.validator)
			var me *model.Error
			require.ErrorAs(t, err, &me, "want a *model.Error")
			assert.Equal(t, c.code, me.Code)
			assert.Equal(t, c.field, me.Field)
			assert.Equal(t, c.message, me.Message)
			// The field once: in front only when the message does not name it.
			want := c.field + ": " + c.message
			if strings.HasPrefix(c.message, c.field+" ") {
				want = c.message
			}
			assert.Equal(t, want, err.Error())
		})
	}
}

func TestValidationAccepts(t *testing.T) {
	maxID := strings.Repeat("x", model.MaxIDLen)
	cases := []struct {
		name      string
		validator *model.Validator
		call      func(*model.Validator) error
	}{
		{"the seed's grant", anyTypes, grantWith(func(*model.GrantInput) {})},
		{"the seed's grant, configured types", seedTypes, grantWith(func(*model.GrantInput) {})},
		{"zero Validator", &model.Validator{}, grantWith(func(*model.GrantInput) {})},
		{"nil Validator", nil, grantWith(func(*model.GrantInput) {})},
		{"org of 256 bytes", anyTypes, orgID(maxID)},
		{"org with spaces and emoji", anyTypes, orgID("org ✓ 🚀")},
		{"ids of 256 bytes", anyTypes, grantWith(func(in *model.GrantInput) {
			in.Entity.ID, in.Grantee.ID, in.GrantedBy = maxID, maxID, maxID
		})},
		{"ids of 256 bytes in multi-byte runes", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.ID = strings.Repeat("é", 128) })},
		{"no granted_by", anyTypes, grantWith(func(in *model.GrantInput) { in.GrantedBy = "" })},
		{"entity type of 64 chars", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "a" + strings.Repeat("_9", 31) + "z" })},
		{"entity type of one letter", anyTypes, grantWith(func(in *model.GrantInput) { in.Entity.Type = "x" })},
		{"department grantee", anyTypes, grantWith(func(in *model.GrantInput) { in.Grantee = model.Department("eng") })},
		{"role grantee, admin", anyTypes, grantWith(func(in *model.GrantInput) { in.Grantee, in.Level = model.Role("editor"), model.LevelAdmin })},
		{"window in the future", anyTypes, grantWith(func(in *model.GrantInput) {
			in.EffectiveFrom, in.EffectiveTo = now.Add(time.Hour), now.Add(2*time.Hour)
		})},
		{"window started, not ended", anyTypes, grantWith(func(in *model.GrantInput) {
			in.EffectiveFrom, in.EffectiveTo = now.Add(-time.Hour), now.Add(time.Nanosecond)
		})},
		{"only a lower bound, in the past", anyTypes, grantWith(func(in *model.GrantInput) { in.EffectiveFrom = now.Add(-time.Hour) })},
		{"user in a department", anyTypes, membership(model.User("ann"), model.Department("eng"))},
		{"user in a role", anyTypes, membership(model.User("ann"), model.Role("editor"))},
		{"department in a department", anyTypes, membership(model.Department("eng"), model.Department("rnd"))},
		{"role in a role", anyTypes, membership(model.Role("senior_editor"), model.Role("editor"))},
		{"user named like its group", anyTypes, membership(model.User("eng"), model.Department("eng"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.NoError(t, c.call(c.validator))
		})
	}
}

func TestNewValidatorRefusesMalformedTypes(t *testing.T) {
	for _, bad := range []string{"", "Fleet", "1fleet", "vector-store", "a" + strings.Repeat("b", 64), "fleet\n"} {
		t.Run(bad, func(t *testing.T) {
			v, err := model.NewValidator("fleet", bad)
			assert.Nil(t, v)
			var me *model.Error
			require.ErrorAs(t, err, &me)
			assert.Equal(t, model.CodeValidation, me.Code)
			assert.Equal(t, model.FieldEntityType, me.Field)
			assert.Contains(t, me.Message, "must match ^[a-z][a-z0-9_]{0,63}$")
		})
	}
}

func TestConfiguredTypesAreExact(t *testing.T) {
	v := mustValidator("fleet", "registry")
	assert.NoError(t, v.EntityType("fleet"))
	assert.NoError(t, v.EntityType("registry"))
	// Well-formed but not configured, and prefixes of configured ones.
	for _, t2 := range []string{"environment", "flee", "fleets"} {
		assert.ErrorIs(t, v.EntityType(t2), model.ErrValidation, t2)
	}
}
