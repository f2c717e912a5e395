package model_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/grantdb/grantdb/model"
)

func TestNewGrant(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	zone := time.FixedZone("CET", 3600)
	in := model.GrantInput{
		Entity:        model.EntityRef{Type: "doc", ID: "d1"},
		Grantee:       model.Subject{Type: model.SubjectUser, ID: "u1"},
		Level:         model.LevelWrite,
		GrantedBy:     "admin",
		EffectiveFrom: time.Date(2026, 1, 1, 1, 0, 0, 0, zone),
	}
	g := model.NewGrant("g1", "org1", in, now)
	assert.Equal(t, model.Grant{
		ID: "g1", Org: "org1", Entity: in.Entity, Grantee: in.Grantee,
		Level: model.LevelWrite, GrantedBy: "admin",
		EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		CreatedAt:     now, UpdatedAt: now,
	}, g)
	assert.Equal(t, time.UTC, g.EffectiveFrom.Location())
	assert.True(t, g.EffectiveTo.IsZero(), "an open bound stays the zero time")
}

func TestUTC(t *testing.T) {
	assert.Equal(t, time.Time{}, model.UTC(time.Time{}))
	in := time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600))
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), model.UTC(in))
}

func TestDuplicateGrantError(t *testing.T) {
	g := model.Grant{
		ID: "g1", Entity: model.EntityRef{Type: "doc", ID: "d1"},
		Grantee: model.Subject{Type: model.SubjectUser, ID: "u1"},
	}
	err := model.DuplicateGrantError(g)
	assert.True(t, errors.Is(err, model.ErrDuplicate))
	assert.Equal(t, model.FieldGranteeID, err.Field)
	assert.Equal(t, "user:u1 already has a grant on doc:d1 (g1)", err.Message)
}
