package main

import (
	"fmt"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// actionLevels maps Casbin actions and OpenFGA relations to grantdb levels
// (matched without regard to case). grantdb's levels include each other —
// admin ⊇ write ⊇ read — so an action maps to the least level that allows it.
// README.md lists them; anything else is refused with its line.
var actionLevels = map[string]model.Level{
	// read
	"read": model.LevelRead, "view": model.LevelRead, "get": model.LevelRead, "list": model.LevelRead,
	"viewer": model.LevelRead, "reader": model.LevelRead, "can_view": model.LevelRead, "can_read": model.LevelRead,
	// write
	"write": model.LevelWrite, "edit": model.LevelWrite, "update": model.LevelWrite, "create": model.LevelWrite,
	"delete": model.LevelWrite, "post": model.LevelWrite, "put": model.LevelWrite, "patch": model.LevelWrite,
	"editor": model.LevelWrite, "writer": model.LevelWrite, "can_edit": model.LevelWrite, "can_write": model.LevelWrite,
	// admin
	"admin": model.LevelAdmin, "own": model.LevelAdmin, "owner": model.LevelAdmin, "manage": model.LevelAdmin,
	"manager": model.LevelAdmin, "can_manage": model.LevelAdmin, "can_admin": model.LevelAdmin,
}

// actionLevel returns the level of a Casbin action or OpenFGA relation.
func actionLevel(action string) (model.Level, error) {
	if l, ok := actionLevels[strings.ToLower(action)]; ok {
		return l, nil
	}
	return model.LevelNone, fmt.Errorf("action %q maps to no grantdb level (read: read, view, get, list, viewer, reader; "+
		"write: write, edit, update, create, delete, post, put, patch, editor, writer; admin: admin, own, owner, manage)", action)
}

// mergeGrants folds records that grant the same entity to the same grantee
// with the same effect in the same organisation into one: Casbin and OpenFGA
// list one line per action, grantdb holds one allow and one deny per pair.
// Allows merge at the highest of their levels; denies at the lowest, since a
// deny at a level takes that level and every one above it. The merged record
// keeps the line of the first.
func mergeGrants(recs []record) []record {
	type key struct {
		org     string
		entity  model.EntityRef
		grantee model.Subject
		effect  model.Effect
	}
	at := map[key]int{}
	out := recs[:0]
	for _, r := range recs {
		if r.kind != kindGrant {
			out = append(out, r)
			continue
		}
		k := key{r.org, r.grant.Entity, r.grant.Grantee, r.grant.Effect}
		if i, ok := at[k]; ok {
			if r.grant.Effect == model.EffectDeny {
				out[i].grant.Level = min(out[i].grant.Level, r.grant.Level)
			} else {
				out[i].grant.Level = max(out[i].grant.Level, r.grant.Level)
			}
			continue
		}
		at[k] = len(out)
		out = append(out, r)
	}
	return out
}
