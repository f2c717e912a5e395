package store

import (
	"fmt"
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
	raw, err := r.txn.First(tableLinks, indexID, linkKey(org, l))
	return err == nil && raw != nil
}

// ParentsOf calls fn with each direct parent of child, in key order, until fn
// returns false.
func (r *ReadTxn) ParentsOf(org string, child model.EntityRef, fn func(parent model.EntityRef) bool) error {
	return r.scanLinks(indexID, prefix(org, child.Type, child.ID), func(l model.EntityLink) bool {
		return fn(l.Parent)
	})
}

// ChildrenOf calls fn with each direct child of parent, in key order, until
// fn returns false.
func (r *ReadTxn) ChildrenOf(org string, parent model.EntityRef, fn func(child model.EntityRef) bool) error {
	return r.scanLinks(indexLinkParent, prefix(org, parent.Type, parent.ID), func(l model.EntityLink) bool {
		return fn(l.Child)
	})
}

// Links calls fn with each link of org, ordered by child, until fn returns
// false.
func (r *ReadTxn) Links(org string, fn func(l model.EntityLink) bool) error {
	return r.scanLinks(indexID, prefix(org), fn)
}

// EachLink calls fn with every link of every organisation, ordered by
// organisation then child, until fn returns false.
func (r *ReadTxn) EachLink(fn func(org string, l model.EntityLink) bool) error {
	it, err := r.txn.Get(tableLinks, indexID)
	if err != nil {
		return fmt.Errorf("store: scan all links: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*linkRow)
		if !fn(row.org, row.l) {
			return nil
		}
	}
	return nil
}

func (r *ReadTxn) scanLinks(index, pre string, fn func(l model.EntityLink) bool) error {
	it, err := r.txn.LowerBound(tableLinks, index, pre)
	if err != nil {
		return fmt.Errorf("store: scan links: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		row := raw.(*linkRow)
		k := row.key
		if index == indexLinkParent {
			k = linkParentKey(row.org, row.l)
		}
		if !strings.HasPrefix(k, pre) || !fn(row.l) {
			return nil
		}
	}
	return nil
}

// AddLink stores l in org, reporting whether it was new (adding an existing
// link changes nothing). The caller has validated l and checked it closes no
// cycle.
func (w *WriteTxn) AddLink(org string, l model.EntityLink) (bool, error) {
	if w.HasLink(org, l) {
		return false, nil
	}
	row := &linkRow{key: linkKey(org, l), org: org, l: l}
	if err := w.txn.Insert(tableLinks, row); err != nil {
		return false, fmt.Errorf("store: add link: %w", err)
	}
	w.changes.Links = append(w.changes.Links, LinkChange{Org: org, Link: l})
	return true, nil
}

// RemoveLink deletes l from org, reporting whether it was there.
func (w *WriteTxn) RemoveLink(org string, l model.EntityLink) (bool, error) {
	raw, err := w.txn.First(tableLinks, indexID, linkKey(org, l))
	if err != nil {
		return false, fmt.Errorf("store: remove link: %w", err)
	}
	if raw == nil {
		return false, nil
	}
	if err := w.txn.Delete(tableLinks, raw); err != nil {
		return false, fmt.Errorf("store: remove link: %w", err)
	}
	w.changes.Links = append(w.changes.Links, LinkChange{Deleted: true, Org: org, Link: l})
	return true, nil
}
