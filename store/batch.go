package store

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"unsafe"

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
	cur  *entityRow // first entity at or after the last one asked; nil: none
	last string     // the entity key last asked
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
	ent := entityKeyOf(key)
	switch {
	case !s.used || ent < s.last:
		if err := s.seek(ent); err != nil {
			return nil, err
		}
	case ent != s.last:
		for steps := 0; s.cur != nil && s.cur.key < ent; steps++ {
			if steps == seekSteps {
				if err := s.seek(ent); err != nil {
					return nil, err
				}
				break
			}
			s.next()
		}
	}
	s.used, s.last = true, ent
	if s.cur == nil || s.cur.key != ent {
		return nil, nil
	}
	if i, found := s.cur.search(key); found {
		return s.cur.grants[i], nil
	}
	return nil, nil
}

func (s *GrantSeeker) seek(ent string) error {
	it, err := s.txn.LowerBound(tableGrants, indexID, ent)
	if err != nil {
		s.used = false
		return fmt.Errorf("store: seek grants: %w", err)
	}
	s.it = it
	s.next()
	return nil
}

func (s *GrantSeeker) next() {
	if raw := s.it.Next(); raw != nil {
		s.cur = raw.(*entityRow)
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
	return w.PutGrantsN(0, grants)
}

// PutGrantsN is PutGrants told that grants yields about n grants, so that
// the change set and the rows' scratch space are made that big at once
// instead of grown by doubling.
func (w *WriteTxn) PutGrantsN(n int, grants iter.Seq2[GrantKey, *model.Grant]) error {
	return w.PutGrantsThen(n, grants, nil)
}

// PutGrantsThen is PutGrantsN calling staged, when it is not nil, once the
// change set (Pending) shows every grant and before any is stored: the
// engine starts deriving its index from the change set then, while the
// grants are stored. staged must not use the transaction. On an error of
// the sequence it is not called and nothing is stored.
func (w *WriteTxn) PutGrantsThen(n int, grants iter.Seq2[GrantKey, *model.Grant], staged func()) error {
	// The rows of an earlier call get their index entries first: the rows
	// that wait must be one call's, in key order.
	w.grantIdx()
	rows, ends, err := w.stageGrants(n, grants)
	if err != nil {
		return err
	}
	grantee := w.byGranteeEarly(rows)
	if staged != nil {
		staged()
	}
	return w.storeStaged(rows, ends, grantee)
}

// stageGrants makes the rows of grants, in key order, and records the
// change of each (stageRows), storing nothing. ends[i] is where the rows of
// the i-th entity end.
func (w *WriteTxn) stageGrants(n int, grants iter.Seq2[GrantKey, *model.Grant]) (rows []*grantRow, ends []int32, err error) {
	rows = make([]*grantRow, 0, n)
	var prevRow *grantRow
	for k, g := range grants {
		if prevRow != nil && k.s <= prevRow.key {
			return nil, nil, fmt.Errorf("store: put grants: key %q does not follow %q", k.s, prevRow.key)
		}
		row, ok := rowFromKey(k.s, g)
		if !ok {
			return nil, nil, fmt.Errorf("store: put grants: key %q is not the key of grant %s", k.s, g.ID)
		}
		if prevRow != nil {
			shareStrings(row, prevRow)
		}
		prevRow = row
		rows = append(rows, row)
	}
	ends, err = w.stageRows(rows, true)
	return rows, ends, err
}

// stageRows records the change of storing each of rows (distinct keys, in
// key order), finding the row it replaces in the entity rows as the
// transaction sees them (none when lookups is false: the organisation has
// no entity row), and returns where the rows of each entity end.
func (w *WriteTxn) stageRows(rows []*grantRow, lookups bool) (ends []int32, err error) {
	w.changes.Grants = slices.Grow(w.changes.Grants, len(rows))
	var cur *entityRow // the entity of the last row, as stored so far
	prevEnt := ""
	for n, row := range rows {
		ent := entityKeyOf(row.key)
		if n == 0 || ent != prevEnt {
			if n > 0 {
				ends = append(ends, int32(n))
			}
			prevEnt = ent
			if lookups {
				if cur, err = w.entityAt(ent); err != nil {
					return nil, err
				}
			}
		}
		var old *grantRow
		if cur != nil {
			if i, found := cur.search(row.key); found {
				old = cur.grants[i]
			}
		}
		w.recordPut(row, old)
	}
	if len(rows) > 0 {
		ends = append(ends, int32(len(rows)))
	}
	return ends, nil
}

// storeStaged stores the rows stageGrants made: each entity's at once,
// merged with the stored ones (one memdb insert per entity). The side
// indexes get the rows at commit (grant_pending.go), the grantee index in
// grantee order: the keys ascend in entity order, which would land each row
// at a random leaf of that tree (a few cache misses per comparison), while
// sorted inserts walk it once.
//
// grantee, when not nil, is closed once the rows' grantee entries are made
// (byGranteeEarly).
func (w *WriteTxn) storeStaged(rows []*grantRow, ends []int32, grantee chan struct{}) error {
	olds := make([]*grantRow, 0, len(rows))
	var replaced []*grantRow
	start := 0
	defer func() { w.pending = pendingGrants{rows: rows[:len(olds)], replaced: olds, grantee: grantee} }()
	for _, end := range ends {
		group := rows[start:end]
		start = int(end)
		e, err := w.ownEntity(entityKeyOf(group[0].key), 0)
		if err != nil {
			return err
		}
		e.grants, replaced = mergeGrants(e.grants, group, replaced)
		olds = append(olds, replaced...)
	}
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

// KeyBlocks makes grant keys in shared blocks of memory rather than one
// allocation each: for the keys of a batch, which live as long as it does
// (a prepared row copies its key). A key keeps its whole block alive. A
// KeyBlocks is for one goroutine.
type KeyBlocks struct{ buf []byte }

// keyBlockSize is the size of one block of keys.
const keyBlockSize = 64 << 10

// KeyOfEffect is KeyOfEffect's key, made in the current block.
func (kb *KeyBlocks) KeyOfEffect(org string, e model.EntityRef, s model.Subject, eff model.Effect) GrantKey {
	n := len(org) + len(e.Type) + len(e.ID) + len(s.Type) + len(s.ID) + 4*len(sep)
	if eff == model.EffectDeny {
		n += len(denySuffix)
	}
	if cap(kb.buf)-len(kb.buf) < n {
		kb.buf = make([]byte, 0, max(keyBlockSize, n))
	}
	at := len(kb.buf)
	b := append(kb.buf, org...)
	b = append(append(b, sep...), e.Type...)
	b = append(append(b, sep...), e.ID...)
	b = append(append(b, sep...), s.Type...)
	b = append(append(b, sep...), s.ID...)
	if eff == model.EffectDeny {
		b = append(b, denySuffix...)
	}
	kb.buf = b
	// The block never grows past its capacity, and the bytes written are
	// never written again: the key can share them.
	return GrantKey{unsafe.String(&b[at], n)}
}
