package store

import (
	"fmt"
	"iter"
	"strings"

	"github.com/grantdb/grantdb/model"
	"github.com/hashicorp/go-memdb"
)

// Batch writes: finding and storing many grants in key order.
//
// memdb copies every radix node on the path of an insert unless the
// transaction already copied it, and it remembers the copies only until the
// next read of the same index (a read clones the index transaction and
// forgets them). So a batch reads everything it needs first, then inserts in
// key order with no read in between: consecutive keys share their path, and
// each node is copied once per batch instead of once per grant.

// GrantKey is the key the store keeps a grant under: its organisation,
// entity, grantee and effect. Keys compare in the store's order
// (organisation, entity type, entity id, grantee type, grantee id, each field
// compared as bytes, then effect: allow first). The zero GrantKey is before every key.
type GrantKey struct{ s string }

// KeyOf returns the key of the allow of (org, entity, grantee). The fields
// must be valid ids (no control characters).
func KeyOf(org string, e model.EntityRef, s model.Subject) GrantKey {
	return GrantKey{grantKey(org, e, s)}
}

// KeyOfEffect returns the key of the grant of (org, entity, grantee,
// effect); an allow's is KeyOf's, and sorts just before the deny's.
func KeyOfEffect(org string, e model.EntityRef, s model.Subject, eff model.Effect) GrantKey {
	return GrantKey{grantKeyEffect(org, e, s, eff)}
}

// Compare returns -1, 0 or +1 as k sorts before, with or after o.
func (k GrantKey) Compare(o GrantKey) int { return strings.Compare(k.s, o.s) }

// seekSteps is how far a GrantSeeker walks forward before it seeks instead:
// walking a step costs about a tenth of a seek.
const seekSteps = 8

// GrantSeeker finds the stored grants of a sequence of keys in ascending
// order, walking the grants table alongside them instead of looking each key
// up from the root: keys near each other (or in an organisation with no
// grants yet) cost a step or nothing rather than a lookup. Keys that do not
// ascend are still answered correctly, only slower. A seeker reads the state
// its transaction had when it was opened: do not write to that transaction
// while using it.
type GrantSeeker struct {
	txn  *memdb.Txn
	it   memdb.ResultIterator
	cur  *grantRow // first row at or after the last key asked; nil: none
	last string
	used bool
}

// SeekGrants opens a GrantSeeker on the transaction.
func (r *ReadTxn) SeekGrants() *GrantSeeker { return &GrantSeeker{txn: r.txn} }

// Get returns the grant stored under k, if there is one.
func (s *GrantSeeker) Get(k GrantKey) (model.Grant, bool, error) {
	row, err := s.row(k.s)
	if err != nil || row == nil {
		return model.Grant{}, false, err
	}
	return row.g, true, nil
}

func (s *GrantSeeker) row(key string) (*grantRow, error) {
	if !s.used || key < s.last {
		s.used = true
		s.last = key
		return s.seek(key)
	}
	s.last = key
	for steps := 0; s.cur != nil && s.cur.key < key; steps++ {
		if steps == seekSteps {
			return s.seek(key)
		}
		s.next()
	}
	if s.cur != nil && s.cur.key == key {
		return s.cur, nil
	}
	return nil, nil
}

func (s *GrantSeeker) seek(key string) (*grantRow, error) {
	it, err := s.txn.LowerBound(tableGrants, indexID, key)
	if err != nil {
		s.used = false
		return nil, fmt.Errorf("store: seek grants: %w", err)
	}
	s.it = it
	s.next()
	if s.cur != nil && s.cur.key == key {
		return s.cur, nil
	}
	return nil, nil
}

func (s *GrantSeeker) next() {
	if raw := s.it.Next(); raw != nil {
		s.cur = raw.(*grantRow)
	} else {
		s.cur = nil
	}
}

// PutGrants stores many grants, each as PutGrant would (replacing whatever
// is stored under its key), in one pass that is much faster than a PutGrant
// per grant. grants yields each grant with its key, KeyOfEffect(g.Org,
// g.Entity, g.Grantee, g.Effect), in strictly ascending key order; every g.ID must be set and
// the caller has validated every g. PutGrants copies what it is given.
//
// A key out of order or not matching its grant is an error, and so is
// anything memdb refuses: the transaction must then be aborted, as some
// grants may have been stored already. Stopping the sequence early is not an
// error: the grants yielded so far are stored.
func (w *WriteTxn) PutGrants(grants iter.Seq2[GrantKey, *model.Grant]) error {
	// Replaced rows are found by walking the state this transaction started
	// from alongside the ascending keys, which costs less than a lookup per
	// key. That state is only right for keys the transaction has not written
	// yet: so when it already wrote grants, look each key up in the
	// transaction.
	var base *GrantSeeker
	if len(w.changes.Grants) == 0 {
		base = w.store.last.Read().SeekGrants()
	}
	// With base, nothing below reads the grantee btree, so its inserts wait
	// for the end and go in grantee order: the keys ascend in entity order,
	// which lands each row at a random leaf of that tree (a few cache misses
	// per comparison), while sorted inserts walk it once.
	var byGrantee []*grantRow
	if base != nil {
		defer func() { w.gx.putByGrantee(byGrantee) }()
	}
	var prev string
	first := true
	var err error
	for k, g := range grants {
		if !first && k.s <= prev {
			err = fmt.Errorf("store: put grants: key %q does not follow %q", k.s, prev)
			break
		}
		first, prev = false, k.s
		row, ok := rowFromKey(k.s, g)
		if !ok {
			err = fmt.Errorf("store: put grants: key %q is not the key of grant %s", k.s, g.ID)
			break
		}
		var old *grantRow
		if base != nil {
			if old, err = base.row(k.s); err != nil {
				break
			}
		} else {
			old = w.grantRowAt(row.g.Org, row.g.Entity, row.g.Grantee, row.g.Effect)
		}
		if base != nil {
			if err = w.insertRowDeferGrantee(row, old); err != nil {
				break
			}
			byGrantee = append(byGrantee, row)
			continue
		}
		if err = w.insertRow(row, old); err != nil {
			break
		}
	}
	return err
}

// insertRowDeferGrantee is insertRow but leaves the row out of the grantee
// btree, for the caller to add with putByGrantee.
func (w *WriteTxn) insertRowDeferGrantee(row, old *grantRow) error {
	if err := w.txn.Insert(tableGrants, row); err != nil {
		return fmt.Errorf("store: put grant: %w", err)
	}
	w.gx.putExceptGrantee(row, old)
	w.recordPut(row, old)
	return nil
}

// insertRow stores row in place of old (nil: nothing was stored under its
// key) and records the change.
func (w *WriteTxn) insertRow(row, old *grantRow) error {
	if err := w.txn.Insert(tableGrants, row); err != nil {
		return fmt.Errorf("store: put grant: %w", err)
	}
	w.gx.put(row, old)
	w.recordPut(row, old)
	return nil
}

// recordPut records the change of storing row in place of old.
func (w *WriteTxn) recordPut(row, old *grantRow) {
	ch := GrantChange{Grant: &row.g}
	if old != nil {
		ch.Replaced = &old.g
	}
	w.changes.Grants = append(w.changes.Grants, ch)
}

// rowFromKey makes the row of g stored under key, pointing g's strings into
// the key so that one allocation holds them, after checking that key is
// g's key. It allocates nothing but the row.
func rowFromKey(key string, g *model.Grant) (*grantRow, bool) {
	var f [5]string
	if base, eff := cutEffect(key); eff != g.Effect || !splitKeyFields(base, f[:]) || f[0] != g.Org || f[1] != g.Entity.Type || f[2] != g.Entity.ID ||
		f[3] != string(g.Grantee.Type) || f[4] != g.Grantee.ID || g.ID == "" {
		return nil, false
	}
	return rowOnKey(key, &f, *g), true
}
