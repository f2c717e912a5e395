package store

import (
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// linkRow is a stored entity link.
type linkRow struct {
	key string
	org string
	l   model.EntityLink
}

// HasLink reports whether the link is stored in org.
func (r *ReadTxn) HasLink(org string, l model.EntityLink) bool {
	return r.gx.linksByChild.Has(&linkRow{key: linkKey(org, l)})
}

// ParentsOf calls fn with each direct parent of child, in key order, until fn
// returns false.
func (r *ReadTxn) ParentsOf(org string, child model.EntityRef, fn func(parent model.EntityRef) bool) error {
	r.scanLinks(prefix(org, child.Type, child.ID), func(l model.EntityLink) bool {
		return fn(l.Parent)
	})
	return nil
}

// ChildrenOf calls fn with each direct child of parent, in key order, until
// fn returns false.
func (r *ReadTxn) ChildrenOf(org string, parent model.EntityRef, fn func(child model.EntityRef) bool) error {
	pivot := &linkRow{org: org, l: model.EntityLink{Parent: parent}}
	r.gx.linksByParent.AscendGreaterOrEqual(pivot, func(row *linkRow) bool {
		return row.org == org && row.l.Parent == parent && fn(row.l.Child)
	})
	return nil
}

// Links calls fn with each link of org, ordered by child, until fn returns
// false.
func (r *ReadTxn) Links(org string, fn func(l model.EntityLink) bool) error {
	r.scanLinks(prefix(org), fn)
	return nil
}

// EachLink calls fn with every link of every organisation, ordered by
// organisation then child, until fn returns false.
func (r *ReadTxn) EachLink(fn func(org string, l model.EntityLink) bool) error {
	r.gx.linksByChild.Ascend(func(row *linkRow) bool { return fn(row.org, row.l) })
	return nil
}

// scanLinks calls fn with each link whose key starts with pre, in key order,
// until fn returns false.
func (r *ReadTxn) scanLinks(pre string, fn func(l model.EntityLink) bool) {
	r.gx.linksByChild.AscendGreaterOrEqual(&linkRow{key: pre}, func(row *linkRow) bool {
		return strings.HasPrefix(row.key, pre) && fn(row.l)
	})
}

// AddLink stores l in org, reporting whether it was new (adding an existing
// link changes nothing). The caller has validated l and checked it closes no
// cycle.
func (w *WriteTxn) AddLink(org string, l model.EntityLink) (bool, error) {
	if w.HasLink(org, l) {
		return false, nil
	}
	w.putLink(&linkRow{key: linkKey(org, l), org: org, l: l})
	w.changes.Links = append(w.changes.Links, LinkChange{Org: org, Link: l})
	return true, nil
}

// AddLinks stores each of ls in org as AddLink would, returning how many
// were new, in one pass that is much faster than an AddLink per link: it
// reads what is stored before it writes anything (so that the change set
// is whole first), then inserts the new rows into the child btree in key
// order and into the parent btree in parent order. The
// change set lists them in the order of ls. The caller has validated ls and
// checked that none closes a cycle. After an error the transaction must be
// aborted.
func (w *WriteTxn) AddLinks(org string, ls []model.EntityLink) (int, error) {
	return w.AddLinksThen(org, ls, nil)
}

// AddLinksThen is AddLinks calling staged, when it is not nil, once the
// change set (Pending) lists every new link and before any is stored, as
// PutGrantsThen does: the engine derives its index from the change set
// while the links are stored. staged must not use the transaction.
func (w *WriteTxn) AddLinksThen(org string, ls []model.EntityLink, staged func()) (int, error) {
	if len(ls) == 0 {
		return 0, nil
	}
	rows := newLinkRows(org, ls)
	if !slices.IsSortedFunc(rows, func(a, b pendingLink) int { return strings.Compare(a.row.key, b.row.key) }) {
		sortByString(rows, func(p pendingLink) string { return p.row.key })
	}
	orgHasLinks := false
	w.scanLinks(prefix(org), func(model.EntityLink) bool {
		orgHasLinks = true
		return false
	})
	fresh := make([]bool, len(ls))
	kept := rows[:0]
	for i, p := range rows {
		if i > 0 && p.row.key == rows[i-1].row.key {
			continue // a second copy in ls: the first one stands
		}
		if orgHasLinks && w.gx.linksByChild.Has(p.row) {
			continue
		}
		fresh[p.pos] = true
		kept = append(kept, p)
	}
	w.changes.Links = slices.Grow(w.changes.Links, len(kept))
	for i, l := range ls {
		if fresh[i] {
			w.changes.Links = append(w.changes.Links, LinkChange{Org: org, Link: l})
		}
	}
	if staged != nil {
		staged()
	}
	for _, p := range kept {
		w.gx.linksByChild.ReplaceOrInsert(p.row)
	}
	for _, p := range byParent(kept) {
		w.gx.linksByParent.ReplaceOrInsert(p.row)
	}
	return len(kept), nil
}

// byParent returns rows, in key (child) order, ordered by parent then
// child: grouped by hashing the parents, so that only the distinct parents
// (far fewer than the links, in a tree) are sorted.
func byParent(rows []pendingLink) []pendingLink {
	bucket := make([]int32, len(rows))
	ids := make(map[model.EntityRef]int32)
	var parents []model.EntityRef // by id
	for i, p := range rows {
		id, ok := ids[p.row.l.Parent]
		if !ok {
			id = int32(len(parents))
			ids[p.row.l.Parent] = id
			parents = append(parents, p.row.l.Parent)
		}
		bucket[i] = id
	}
	order := make([]int32, len(parents))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmpEntity(parents[a], parents[b]) })
	return scatter(rows, bucket, order)
}

// pendingLink is a row AddLinks may store, and the place of its link in
// the call.
type pendingLink struct {
	row *linkRow
	pos int
}

// newLinkRows makes the rows of ls in org, in their order, from one block
// of rows and one string of their keys (joinKeys): a few allocations a
// call, not two a link. Rows of one call live and die together in the common case; one
// removed later keeps its block alive, a bounded cost.
func newLinkRows(org string, ls []model.EntityLink) []pendingLink {
	keys := joinKeys(org, len(ls), func(i int) [4]string {
		l := ls[i]
		return [4]string{l.Child.Type, l.Child.ID, l.Parent.Type, l.Parent.ID}
	})
	block := make([]linkRow, len(ls))
	rows := make([]pendingLink, len(ls))
	for i, l := range ls {
		block[i] = linkRow{key: keys[i], org: org, l: l}
		rows[i] = pendingLink{row: &block[i], pos: i}
	}
	return rows
}

// putLink stores row in both link btrees, reporting false, with the parent
// btree untouched, when a row under its key was stored already (the child
// btree then holds row in its place): one walk of the child btree, not a
// lookup and an insert.
func (w *WriteTxn) putLink(row *linkRow) bool {
	if _, repeated := w.gx.linksByChild.ReplaceOrInsert(row); repeated {
		return false
	}
	w.gx.linksByParent.ReplaceOrInsert(row)
	return true
}

// RemoveLink deletes l from org, reporting whether it was there.
func (w *WriteTxn) RemoveLink(org string, l model.EntityLink) (bool, error) {
	row, found := w.gx.linksByChild.Delete(&linkRow{key: linkKey(org, l)})
	if !found {
		return false, nil
	}
	w.gx.linksByParent.Delete(row)
	w.changes.Links = append(w.changes.Links, LinkChange{Deleted: true, Org: org, Link: l})
	return true, nil
}

func lessByParent(a, b *linkRow) bool { return cmpByParent(a, b) < 0 }

// cmpByParent orders links by org, parent type, parent id, child type,
// child id.
func cmpByParent(a, b *linkRow) int {
	if c := strings.Compare(a.org, b.org); c != 0 {
		return c
	}
	if c := cmpEntity(a.l.Parent, b.l.Parent); c != 0 {
		return c
	}
	return cmpEntity(a.l.Child, b.l.Child)
}

// cmpEntity orders entities by type, then id, as their fields in a key.
func cmpEntity(a, b model.EntityRef) int {
	if c := strings.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
