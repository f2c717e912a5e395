package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// The effect and the links of each format reach the records import writes.
func TestParsersReadDeniesAndLinks(t *testing.T) {
	folder := model.EntityRef{Type: "folder", ID: "plans"}
	doc := model.EntityRef{Type: "document", ID: "roadmap"}
	link := model.EntityLink{Child: doc, Parent: folder}
	for _, c := range []struct {
		name, format, input string
		want                []record
	}{
		{"jsonl flat", "jsonl", `{"kind":"link","organization_id":"o","child_type":"document","child_id":"roadmap","parent_type":"folder","parent_id":"plans"}
{"kind":"grant","organization_id":"o","entity_type":"folder","entity_id":"plans","grantee_type":"role","grantee_id":"r","access_level":"write","effect":"deny"}
{"kind":"grant","organization_id":"o","entity_type":"folder","entity_id":"plans","grantee_type":"role","grantee_id":"r","access_level":"admin","effect":"allow"}`,
			[]record{
				{line: 1, kind: kindLink, org: "o", link: &link},
				{line: 2, kind: kindGrant, org: "o", grant: model.GrantInput{Entity: folder, Grantee: model.Role("r"), Level: model.LevelWrite, Effect: model.EffectDeny}},
				{line: 3, kind: kindGrant, org: "o", grant: model.GrantInput{Entity: folder, Grantee: model.Role("r"), Level: model.LevelAdmin}},
			}},
		{"jsonl model.EntityLink", "jsonl", `{"kind":"link","organization_id":"o","child":{"type":"document","id":"roadmap"},"parent":{"type":"folder","id":"plans"}}`,
			[]record{{line: 1, kind: kindLink, org: "o", link: &link}}},
		{"csv", "csv", "kind,organization_id,entity_type,entity_id,grantee_type,grantee_id,access_level,effect,child_type,child_id,parent_type,parent_id\n" +
			"link,o,,,,,,,document,roadmap,folder,plans\n" +
			"grant,o,folder,plans,role,r,write,deny,,,,\n" +
			"grant,o,folder,plans,role,r,admin,,,,,\n",
			[]record{
				{line: 2, kind: kindLink, org: "o", link: &link},
				{line: 3, kind: kindGrant, org: "o", grant: model.GrantInput{Entity: folder, Grantee: model.Role("r"), Level: model.LevelWrite, Effect: model.EffectDeny}},
				{line: 4, kind: kindGrant, org: "o", grant: model.GrantInput{Entity: folder, Grantee: model.Role("r"), Level: model.LevelAdmin}},
			}},
		{"openfga parent", "openfga", "- user: folder:plans\n  relation: parent\n  object: document:roadmap\n",
			[]record{{line: 1, kind: kindLink, org: "o", link: &link}}},
		{"casbin eft", "casbin", "p, r, o, folder:plans, write, deny\np, r, o, folder:plans, admin, allow\np, r, o, folder:plans, edit, deny\np, r, o, folder:plans, read, deny\np, u, o, folder:plans, read\n",
			// Denies of one pair merge at the lowest level: it takes the most.
			[]record{
				{line: 1, kind: kindGrant, org: "o", grant: model.GrantInput{Entity: folder, Grantee: model.User("r"), Level: model.LevelRead, Effect: model.EffectDeny}},
				{line: 2, kind: kindGrant, org: "o", grant: model.GrantInput{Entity: folder, Grantee: model.User("r"), Level: model.LevelAdmin}},
				{line: 5, kind: kindGrant, org: "o", grant: model.GrantInput{Entity: folder, Grantee: model.User("u"), Level: model.LevelRead}},
			}},
		{"casbin eft without domains", "casbin", "p, r, folder:plans, write, deny\n",
			[]record{{line: 1, kind: kindGrant, org: "o", grant: model.GrantInput{Entity: folder, Grantee: model.User("r"), Level: model.LevelWrite, Effect: model.EffectDeny}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			recs, err := parsers[c.format](strings.NewReader(c.input), parseOptions{org: "o", entityType: "object"})
			require.NoError(t, err)
			assert.Equal(t, c.want, recs)
		})
	}
}

func TestParsersRefuseBadEffectsAndParents(t *testing.T) {
	for _, c := range []struct{ name, format, input, want string }{
		{"jsonl effect", "jsonl", `{"kind":"grant","organization_id":"o","entity_type":"d","entity_id":"1","grantee_type":"user","grantee_id":"u","access_level":"read","effect":"forbid"}`, "line 1: effect"},
		{"csv effect", "csv", "entity_type,entity_id,grantee_type,grantee_id,access_level,effect\nd,1,user,u,read,Deny\n", "line 2: effect"},
		{"casbin eft", "casbin", "p, u, o, d, read, allow\np, u, o, d, read, maybe\n", `line 2: effect "maybe": want allow or deny`},
		{"casbin too many fields", "casbin", "p, u, o, d, read, deny, x\n", "line 1: a p line has 4 fields"},
		{"openfga parent wildcard", "openfga", "- user: folder:*\n  relation: parent\n  object: document:roadmap\n", "line 1: parent \"folder:*\": wildcards"},
		{"openfga parent userset", "openfga", "- user: folder:f#viewer\n  relation: parent\n  object: document:roadmap\n", "line 1: parent \"folder:f#viewer\""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parsers[c.format](strings.NewReader(c.input), parseOptions{org: "o", entityType: "object"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
