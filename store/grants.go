package store

import (
	"fmt"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// grantRow is a stored grant. The strings of g are substrings of key, so one
// allocation holds them all.
type grantRow struct {
	key string
	g   model.Grant
}

// newGrantRow makes the row of g.
func newGrantRow(g model.Grant) *grantRow {
	key := grantKeyEffect(g.Org, g.Entity, g.Grantee, g.Effect)
	var f [5]string
	if base, _ := cutEffect(key); !splitKeyFields(base, f[:]) {
		return &grantRow{key: key, g: g} // an empty field: keep g's own strings
	}
	return rowOnKey(key, &f, g)
}

// rowOnKey makes the row of g stored under key, whose fields are f, pointing
// g's strings into the key so that one allocation holds them. The grantee
// type is the package constant of its name, so that the indexes' comparisons
// of two types are mostly of one pointer with itself, which is not read.
func rowOnKey(key string, f *[5]string, g model.Grant) *grantRow {
	g.Org = f[0]
	g.Entity = model.EntityRef{Type: f[1], ID: f[2]}
	g.Grantee = model.Subject{Type: model.InternSubjectType(f[3]), ID: f[4]}
	return &grantRow{key: key, g: g}
}

// shareStrings points row's organisation and entity type at prev's when
// they are equal (the usual case within a batch), for the same reason.
func shareStrings(row, prev *grantRow) {
	if row.g.Org == prev.g.Org {
		row.g.Org = prev.g.Org
	}
	if row.g.Entity.Type == prev.g.Entity.Type {
		row.g.Entity.Type = prev.g.Entity.Type
	}
}

// GrantByID returns the grant with that id in org, if it is stored. Ended
// grants that have not been swept yet are returned too: deciding what is
// visible at what time is the caller's.
func (r *ReadTxn) GrantByID(org, id string) (model.Grant, bool) {
	row, ok := r.grantIdx().byID.Get(&grantRow{g: model.Grant{ID: id}})
	if !ok || row.g.Org != org {
		return model.Grant{}, false
	}
	return row.g, true
}

// GrantByKey returns the allow of (org, entity, grantee), if one is stored;
// GrantWithEffect finds a deny too.
func (r *ReadTxn) GrantByKey(org string, e model.EntityRef, s model.Subject) (model.Grant, bool) {
	return r.GrantWithEffect(org, e, s, model.EffectAllow)
}

// GrantWithEffect returns the grant of (org, entity, grantee, effect), if
// one is stored.
func (r *ReadTxn) GrantWithEffect(org string, e model.EntityRef, s model.Subject, eff model.Effect) (model.Grant, bool) {
	row := r.grantRowAt(org, e, s, eff)
	if row == nil {
		return model.Grant{}, false
	}
	return row.g, true
}

// MaxGrantID returns the greatest grant id stored, or "" when there is none.
func (r *ReadTxn) MaxGrantID() string {
	row, ok := r.grantIdx().byID.Max()
	if !ok {
		return ""
	}
	return row.g.ID
}

// grantRowAt returns the row of (org, entity, grantee, effect), or nil. It
// reads the grantee index rather than memdb: a read of a memdb index inside a write
// transaction makes memdb forget the nodes the transaction already copied.
func (r *ReadTxn) grantRowAt(org string, e model.EntityRef, s model.Subject, eff model.Effect) *grantRow {
	row, _ := r.grantIdx().byGrantee.Get(&grantRow{g: model.Grant{Org: org, Entity: e, Grantee: s, Effect: eff}})
	return row
}

// GrantScan selects grants of one organisation for ScanGrants. Zero fields
// match everything; an Entity with only Type set selects that type.
type GrantScan struct {
	Org     string
	Entity  model.EntityRef
	Grantee model.Subject
	// After is a position returned by an earlier scan of the same selection:
	// the scan starts just after it. A position from another selection is
	// refused.
	After string
}

// ScanGrants calls fn for each selected grant in key order (entity, then
// grantee, then effect; with a grantee and no entity id, that grantee's
// grants in entity order), with the grant's position, until fn returns false.
func (r *ReadTxn) ScanGrants(q GrantScan, fn func(pos string, g model.Grant) bool) error {
	byGrantee, pre := false, ""
	switch {
	case q.Entity.ID != "" && q.Grantee.ID != "":
		pre = grantKey(q.Org, q.Entity, q.Grantee) // an allow and a deny at most
	case q.Entity.ID != "":
		pre = prefix(q.Org, q.Entity.Type, q.Entity.ID)
	case q.Grantee.ID != "":
		byGrantee, pre = true, prefix(q.Org, string(q.Grantee.Type), q.Grantee.ID)
		if q.Entity.Type != "" {
			pre += q.Entity.Type + sep
		}
	case q.Entity.Type != "":
		pre = prefix(q.Org, q.Entity.Type)
	default:
		pre = prefix(q.Org)
	}
	start := pre
	if q.After != "" {
		if !strings.HasPrefix(q.After, pre) {
			return model.NewError(model.CodeValidation, model.FieldCursor, "cursor does not belong to this query")
		}
		start = q.After
	}
	visit := func(pos string, row *grantRow) bool {
		if !strings.HasPrefix(pos, pre) {
			return false
		}
		return pos == q.After || fn(pos, row.g)
	}
	if q.Entity.ID != "" && q.Grantee.ID != "" {
		for _, eff := range [...]model.Effect{model.EffectAllow, model.EffectDeny} {
			row := r.grantRowAt(q.Org, q.Entity, q.Grantee, eff)
			if row != nil && row.key > q.After && !visit(row.key, row) {
				return nil
			}
		}
		return nil
	}
	if byGrantee {
		r.grantIdx().byGrantee.AscendGreaterOrEqual(granteePivot(start), func(row *grantRow) bool {
			return visit(granteeKeyEffect(row.g.Org, row.g.Grantee, row.g.Entity, row.g.Effect), row)
		})
		return nil
	}
	it, err := r.txn.LowerBound(tableGrants, indexID, entityKeyOf(start))
	if err != nil {
		return fmt.Errorf("store: scan grants: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		e := raw.(*entityRow)
		gs := e.grants
		if start > e.key {
			i, _ := e.search(start)
			gs = gs[i:]
		}
		for _, row := range gs {
			if !visit(row.key, row) {
				return nil
			}
		}
	}
	return nil
}

// PutGrant stores g under its unique key (org, entity, grantee, effect), replacing
// any grant stored there; g.ID must be set. The caller has validated g.
func (w *WriteTxn) PutGrant(g model.Grant) error {
	row := newGrantRow(g)
	e, err := w.ownEntity(entityKeyOf(row.key), 1)
	if err != nil {
		return err
	}
	old := e.put(row)
	w.grantIdx().put(row, old)
	w.recordPut(row, old)
	return nil
}

// DeleteGrant removes the grant stored under g's key, reporting whether one
// was there.
func (w *WriteTxn) DeleteGrant(g model.Grant) (bool, error) {
	row := w.grantRowAt(g.Org, g.Entity, g.Grantee, g.Effect)
	if row == nil {
		return false, nil
	}
	e, err := w.ownEntity(entityKeyOf(row.key), 0)
	if err != nil {
		return false, err
	}
	e.remove(row.key)
	w.grantIdx().remove(row)
	w.changes.Grants = append(w.changes.Grants, GrantChange{Deleted: true, Grant: &row.g})
	return true, nil
}
