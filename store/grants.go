package store

import (
	"fmt"
	"strings"

	"github.com/google/btree"
	"github.com/grantdb/grantdb/model"
)

// grantRow is a stored grant. The strings of g are substrings of key, so one
// allocation holds them all.
type grantRow struct {
	key string
	g   model.Grant
}

func newGrantRow(g model.Grant) *grantRow {
	key := grantKey(g.Org, g.Entity, g.Grantee)
	// Re-point the grant's strings into the key.
	parts, _ := splitKey(key, 5)
	g.Org = parts[0]
	g.Entity = model.EntityRef{Type: parts[1], ID: parts[2]}
	g.Grantee = model.Subject{Type: model.SubjectType(parts[3]), ID: parts[4]}
	return &grantRow{key: key, g: g}
}

// idEntry maps a grant id to the grant's key.
type idEntry struct {
	id  string
	key string
}

func newIDTree() *btree.BTreeG[idEntry] {
	return btree.NewG(32, func(a, b idEntry) bool { return a.id < b.id })
}

// GrantByID returns the grant with that id in org, if it is stored. Ended
// grants that have not been swept yet are returned too: deciding what is
// visible at what time is the caller's.
func (r *ReadTxn) GrantByID(org, id string) (model.Grant, bool) {
	e, ok := r.ids.Get(idEntry{id: id})
	if !ok {
		return model.Grant{}, false
	}
	row := r.grantRow(e.key)
	if row == nil || row.g.Org != org {
		return model.Grant{}, false
	}
	return row.g, true
}

// GrantByKey returns the grant of (org, entity, grantee), if one is stored.
func (r *ReadTxn) GrantByKey(org string, e model.EntityRef, s model.Subject) (model.Grant, bool) {
	row := r.grantRow(grantKey(org, e, s))
	if row == nil {
		return model.Grant{}, false
	}
	return row.g, true
}

// MaxGrantID returns the greatest grant id stored, or "" when there is none.
func (r *ReadTxn) MaxGrantID() string {
	e, ok := r.ids.Max()
	if !ok {
		return ""
	}
	return e.id
}

func (r *ReadTxn) grantRow(key string) *grantRow {
	raw, err := r.txn.First(tableGrants, indexID, key)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*grantRow)
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
// grantee; with a grantee and no entity id, that grantee's grants in entity
// order), with the grant's position, until fn returns false.
func (r *ReadTxn) ScanGrants(q GrantScan, fn func(pos string, g model.Grant) bool) error {
	index, pre, exact := indexID, "", false
	switch {
	case q.Entity.ID != "" && q.Grantee.ID != "":
		pre, exact = grantKey(q.Org, q.Entity, q.Grantee), true
	case q.Entity.ID != "":
		pre = prefix(q.Org, q.Entity.Type, q.Entity.ID)
	case q.Grantee.ID != "":
		index, pre = indexGrantee, prefix(q.Org, string(q.Grantee.Type), q.Grantee.ID)
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
	it, err := r.txn.LowerBound(tableGrants, index, start)
	if err != nil {
		return fmt.Errorf("store: scan grants: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*grantRow)
		pos := row.key
		if index == indexGrantee {
			pos = granteeKey(row.g.Org, row.g.Grantee, row.g.Entity)
		}
		if !strings.HasPrefix(pos, pre) || exact && pos != pre {
			return nil
		}
		if pos == q.After {
			continue
		}
		if !fn(pos, row.g) {
			return nil
		}
	}
	return nil
}

// PutGrant stores g under its unique key (org, entity, grantee), replacing
// any grant stored there; g.ID must be set. The caller has validated g.
func (w *WriteTxn) PutGrant(g model.Grant) error {
	row := newGrantRow(g)
	old := w.grantRow(row.key)
	if old != nil && old.g.ID != row.g.ID {
		w.ids.Delete(idEntry{id: old.g.ID})
	}
	if err := w.txn.Insert(tableGrants, row); err != nil {
		return fmt.Errorf("store: put grant: %w", err)
	}
	// An update in place keeps id and key, so the id map already maps it:
	// skipping the write spares a copy of the btree path.
	if old == nil || old.g.ID != row.g.ID {
		w.ids.ReplaceOrInsert(idEntry{id: row.g.ID, key: row.key})
	}
	w.changes.Grants = append(w.changes.Grants, GrantChange{Grant: &row.g})
	return nil
}

// DeleteGrant removes the grant stored under g's key, reporting whether one
// was there.
func (w *WriteTxn) DeleteGrant(g model.Grant) (bool, error) {
	row := w.grantRow(grantKey(g.Org, g.Entity, g.Grantee))
	if row == nil {
		return false, nil
	}
	if err := w.txn.Delete(tableGrants, row); err != nil {
		return false, fmt.Errorf("store: delete grant: %w", err)
	}
	w.ids.Delete(idEntry{id: row.g.ID})
	w.changes.Grants = append(w.changes.Grants, GrantChange{Deleted: true, Grant: &row.g})
	return true, nil
}
