package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// The printer writes one row per item, or one change per JSON line.
func TestChangePrinter(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ch := model.Change{Revision: 7, At: at,
		Grants: []model.GrantChange{
			{Op: model.ChangeWrite, Grant: model.Grant{ID: "agrant_1", Org: "o", Entity: model.EntityRef{Type: "doc", ID: "d1"},
				Grantee: model.User("u1"), Level: model.LevelRead}},
			{Op: model.ChangeDelete, Grant: model.Grant{ID: "agrant_2", Org: "o", Entity: model.EntityRef{Type: "doc", ID: "d2"},
				Grantee: model.Role("r1"), Level: model.LevelWrite, Effect: model.EffectDeny}},
		},
		Memberships: []model.MembershipChange{{Op: model.ChangeWrite, Membership: model.Membership{Member: model.User("u1"), Group: model.Role("r1")}}},
		Links: []model.LinkChange{{Op: model.ChangeDelete, Link: model.EntityLink{
			Child: model.EntityRef{Type: "doc", ID: "d1"}, Parent: model.EntityRef{Type: "folder", ID: "f1"}}}},
	}
	var table bytes.Buffer
	p := newChangePrinter(&table, false)
	require.NoError(t, p.print(&ch))
	require.NoError(t, p.flush())
	assert.Equal(t, ""+
		"REVISION  AT                        OP      KIND        ITEM\n"+
		"7         2026-03-01T12:00:00.000Z  write   grant       agrant_1 user:u1 read on doc:d1\n"+
		"7         2026-03-01T12:00:00.000Z  delete  grant       agrant_2 role:r1 write on doc:d2 (deny)\n"+
		"7         2026-03-01T12:00:00.000Z  write   membership  user:u1 in role:r1\n"+
		"7         2026-03-01T12:00:00.000Z  delete  link        doc:d1 under folder:f1\n", table.String())

	var lines bytes.Buffer
	p = newChangePrinter(&lines, true)
	require.NoError(t, p.print(&ch))
	require.NoError(t, p.print(&model.Change{Revision: 9, At: at}))
	assert.Equal(t, 2, bytes.Count(lines.Bytes(), []byte("\n")))
	assert.Contains(t, lines.String(), `{"revision":7,"at":"2026-03-01T12:00:00Z","grants":[{"op":"write","grant":{`)
	assert.Contains(t, lines.String(), `{"revision":9,"at":"2026-03-01T12:00:00Z"}`+"\n")
}
