package model_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// A Change's JSON is snake_case, omits empty lists, and round-trips.
func TestChangeJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ch := model.Change{
		Revision: 7,
		At:       at,
		Memberships: []model.MembershipChange{{
			Op:         model.ChangeDelete,
			Membership: model.Membership{Member: model.User("u1"), Group: model.Role("r1")},
		}},
	}
	raw, err := json.Marshal(ch)
	require.NoError(t, err)
	assert.JSONEq(t, `{"revision":7,"at":"2026-03-01T12:00:00Z","memberships":[
		{"op":"delete","membership":{"member":{"type":"user","id":"u1"},"group":{"type":"role","id":"r1"}}}]}`, string(raw))

	ch.Grants = []model.GrantChange{{Op: model.ChangeWrite, Grant: model.Grant{
		ID: "agrant_1", Org: "org_1", Entity: model.EntityRef{Type: "doc", ID: "d1"},
		Grantee: model.User("u1"), Level: model.LevelRead, CreatedAt: at, UpdatedAt: at,
	}}}
	raw, err = json.Marshal(ch)
	require.NoError(t, err)
	var back model.Change
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, ch, back)
	assert.Contains(t, string(raw), `"grants":[{"op":"write","grant":{`)
}

func TestErrCompactedCode(t *testing.T) {
	var me *model.Error
	require.ErrorAs(t, model.ErrCompacted, &me)
	assert.Equal(t, "COMPACTED", me.Code)
	assert.NotErrorIs(t, model.ErrCompacted, model.ErrNotFound)
}
