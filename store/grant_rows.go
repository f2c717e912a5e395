package store

import (
	"fmt"
	"unsafe"

	"github.com/grantdb/grantdb/model"
)

// PreparedGrants are the rows of a batch of new grants of one organisation,
// made before the batch's transaction, by position in key order: a batch
// validates and sorts its inputs outside the write lock, and makes their
// rows there too, on two goroutines (docs/design.md §4.2).
//
// Rows and their keys are laid out in key order in a few large blocks
// rather than allocated one by one: a hundred thousand rows cost a few
// hundred allocations instead of two hundred thousand, and every later pass
// in key order (the decision, the change set, the derived index, the
// indexes) reads memory in order instead of jumping to wherever each key was
// allocated. The price is that a block stays in memory while any of its
// rows is stored: a row replaced or deleted later frees its memory only
// with its block's other rows.
type PreparedGrants struct {
	org  string
	rows []*grantRow
}

// prepareBlock is how many rows share one allocation (about 60 KiB), and
// so how many a stored row can keep alive: 512 rows of 240 bytes fill 15
// pages exactly.
const prepareBlock = 512

// NewPreparedGrants returns room for n rows of grants of org.
func NewPreparedGrants(org string, n int) *PreparedGrants {
	return &PreparedGrants{org: org, rows: make([]*grantRow, n)}
}

// Len is the number of positions.
func (p *PreparedGrants) Len() int { return len(p.rows) }

// Prepare makes the rows of positions lo to hi-1: the row of position i is
// the grant of input(i) under key(i), which must be KeyOfEffect(org,
// in.Entity, in.Grantee, in.Effect) of that input, validated. The grant has
// no id and no times yet (Grant gives it them). Calls for ranges that do
// not overlap may run at once on different goroutines.
func (p *PreparedGrants) Prepare(lo, hi int, input func(i int) (GrantKey, *model.GrantInput)) error {
	for start := lo; start < hi; start += prepareBlock {
		end := min(start+prepareBlock, hi)
		size := 0
		for i := start; i < end; i++ {
			k, _ := input(i)
			size += len(k.s)
		}
		block := make([]grantRow, end-start)
		buf := make([]byte, 0, size)
		for i := start; i < end; i++ {
			k, in := input(i)
			at := len(buf)
			buf = append(buf, k.s...)
			// buf never grows past its capacity, and the bytes written are
			// never written again: the key can share them.
			key := unsafe.String(&buf[at], len(k.s))
			row := &block[i-start]
			if !prepareRow(row, key, p.org, in) {
				return fmt.Errorf("store: prepare grants: key %q is not the key of input %d", k.s, i)
			}
			if i > start {
				// Comparisons of the same type are then of one pointer.
				shareStrings(row, &block[i-start-1])
			}
			p.rows[i] = row
		}
	}
	return nil
}

// prepareRow makes row the grant of in stored under key, its strings
// substrings of key. It checks what it can without reading the input's
// strings (their lengths and the effect): key comes from the same input.
func prepareRow(row *grantRow, key, org string, in *model.GrantInput) bool {
	var f [5]string
	base, eff := cutEffect(key)
	if eff != in.Effect || !splitKeyFields(base, f[:]) || f[0] != org || len(f[1]) != len(in.Entity.Type) ||
		len(f[2]) != len(in.Entity.ID) || len(f[3]) != len(in.Grantee.Type) || len(f[4]) != len(in.Grantee.ID) {
		return false
	}
	row.key = key
	row.g = model.Grant{
		Org:           org,
		Entity:        model.EntityRef{Type: f[1], ID: f[2]},
		Grantee:       model.Subject{Type: model.InternSubjectType(f[3]), ID: f[4]},
		Level:         in.Level,
		Effect:        eff,
		GrantedBy:     in.GrantedBy,
		EffectiveFrom: model.UTC(in.EffectiveFrom),
		EffectiveTo:   model.UTC(in.EffectiveTo),
	}
	return true
}

// Key is the key of the row at position i.
func (p *PreparedGrants) Key(i int) GrantKey { return GrantKey{p.rows[i].key} }

// Grant is the grant of the row at position i, for the caller to give its
// id and times (or, for an update, the stored grant's id, creator and
// creation time) before PutPreparedThen stores it. Once stored it is the
// store's, immutable: read it, never write through it.
func (p *PreparedGrants) Grant(i int) *model.Grant { return &p.rows[i].g }

// PutPreparedThen stores the prepared rows at positions pos (ascending, of
// distinct keys), each as PutGrant would store its grant, calling staged
// (when not nil) once the change set (Pending) shows them all and before
// any is stored, as PutGrantsThen does. Every grant must have its id.
func (w *WriteTxn) PutPreparedThen(p *PreparedGrants, pos []int32, staged func()) error {
	w.grantIdx()
	rows := make([]*grantRow, len(pos))
	for n, i := range pos {
		rows[n] = p.rows[i]
		if rows[n].g.ID == "" || n > 0 && rows[n].key <= rows[n-1].key {
			return fmt.Errorf("store: put prepared grants: position %d is out of order or has no id", i)
		}
	}
	grantee := w.byGranteeEarly(rows)
	ends, err := w.stageRows(rows, w.orgHasEntities(p.org))
	if err != nil {
		if grantee != nil {
			<-grantee
		}
		return err
	}
	if staged != nil {
		staged()
	}
	return w.storeStaged(rows, ends, grantee)
}

// orgHasEntities reports whether org may have an entity row as w sees it:
// false when neither the state w started from nor w itself has one, so that
// a batch into an empty organisation looks nothing up.
func (w *WriteTxn) orgHasEntities(org string) bool {
	if len(w.entities) > 0 {
		return true
	}
	it, err := w.Committed().txn.LowerBound(tableGrants, indexID, org+sep)
	if err != nil {
		return true
	}
	raw := it.Next()
	if raw == nil {
		return false
	}
	k := raw.(*entityRow).key
	return len(k) > len(org) && k[:len(org)] == org && k[len(org)] == sep[0]
}
