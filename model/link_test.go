package model_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateEntityLink(t *testing.T) {
	folder := model.EntityRef{Type: "folder", ID: "f1"}
	doc := model.EntityRef{Type: "document", ID: "d1"}
	cases := []struct {
		name  string
		link  model.EntityLink
		code  string
		field string
	}{
		{"valid", model.EntityLink{Child: doc, Parent: folder}, "", ""},
		{"same id, other type", model.EntityLink{Child: model.EntityRef{Type: "document", ID: "f1"}, Parent: folder}, "", ""},
		{"child type", model.EntityLink{Child: model.EntityRef{Type: "Doc", ID: "d1"}, Parent: folder}, model.CodeValidation, model.FieldChildType},
		{"child id", model.EntityLink{Child: model.EntityRef{Type: "document"}, Parent: folder}, model.CodeValidation, model.FieldChildID},
		{"parent type", model.EntityLink{Child: doc, Parent: model.EntityRef{ID: "f1"}}, model.CodeValidation, model.FieldParentType},
		{"parent id", model.EntityLink{Child: doc, Parent: model.EntityRef{Type: "folder", ID: strings.Repeat("x", 257)}}, model.CodeValidation, model.FieldParentID},
		{"itself", model.EntityLink{Child: folder, Parent: folder}, model.CodeConflict, model.FieldParentID},
	}
	v := mustValidator()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := v.EntityLink(c.link)
			if c.code == "" {
				assert.NoError(t, err)
				return
			}
			var me *model.Error
			require.True(t, errors.As(err, &me), "%v", err)
			assert.Equal(t, c.code, me.Code)
			assert.Equal(t, c.field, me.Field)
			if c.code == model.CodeValidation {
				assert.True(t, strings.HasPrefix(me.Message, c.field+" "), "message %q names the field", me.Message)
			}
		})
	}
}

func TestValidateEntityLinkConfiguredTypes(t *testing.T) {
	v := mustValidator("folder", "document")
	err := v.EntityLink(model.EntityLink{
		Child:  model.EntityRef{Type: "document", ID: "d1"},
		Parent: model.EntityRef{Type: "fleet", ID: "f1"},
	})
	var me *model.Error
	require.True(t, errors.As(err, &me))
	assert.Equal(t, model.FieldParentType, me.Field)
	assert.Equal(t, "parent_type must be one of {'folder', 'document'}", me.Message)
}

func FuzzValidateEntityLink(f *testing.F) {
	f.Add("document", "d1", "folder", "f1")
	f.Add("folder", "f1", "folder", "f1")
	f.Add("Doc", "\x00", "folder", strings.Repeat("f", 257))
	f.Add("", "", "", "")

	v := mustValidator()
	f.Fuzz(func(t *testing.T, childType, childID, parentType, parentID string) {
		l := model.EntityLink{
			Child:  model.EntityRef{Type: childType, ID: childID},
			Parent: model.EntityRef{Type: parentType, ID: parentID},
		}
		err := v.EntityLink(l)
		switch {
		case !typeRE.MatchString(childType):
			checkRefusal(t, err, model.CodeValidation, model.FieldChildType)
		case !oracleID(childID):
			checkRefusal(t, err, model.CodeValidation, model.FieldChildID)
		case !typeRE.MatchString(parentType):
			checkRefusal(t, err, model.CodeValidation, model.FieldParentType)
		case !oracleID(parentID):
			checkRefusal(t, err, model.CodeValidation, model.FieldParentID)
		case l.Child == l.Parent:
			checkRefusal(t, err, model.CodeConflict, model.FieldParentID)
		default:
			if err != nil {
				t.Fatalf("valid link %+v refused: %v", l, err)
			}
		}
	})
}
