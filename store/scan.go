package store

import (
	"fmt"

	"github.com/grantdb/grantdb/model"
)

// Whole-store scans: for rebuilding derived structures (the resolve index)
// from a snapshot, for resuming jobs after a load, and for writing a
// snapshot out in a file format (package store/disk), which Restore reads
// back in.

// EachGrant calls fn with every stored grant of every organisation, in key
// order, until fn returns false. g points at the stored, immutable row, as in
// a ChangeSet: read it and keep it if you like, never write through it. Ended
// grants that have not been swept yet are included.
func (r *ReadTxn) EachGrant(fn func(g *model.Grant) bool) error {
	it, err := r.txn.Get(tableGrants, indexID)
	if err != nil {
		return fmt.Errorf("store: scan all grants: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		for _, row := range raw.(*entityRow).grants {
			if !fn(&row.g) {
				return nil
			}
		}
	}
	return nil
}

// EachMembership calls fn with every membership of every organisation,
// ordered by organisation then member, until fn returns false.
func (r *ReadTxn) EachMembership(fn func(org string, m model.Membership) bool) error {
	it, err := r.txn.Get(tableMemberships, indexID)
	if err != nil {
		return fmt.Errorf("store: scan all memberships: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		for _, row := range raw.(*memberRow).rows {
			if !fn(row.org(), row.m) {
				return nil
			}
		}
	}
	return nil
}

// EachJobSpec calls fn with the spec of every job of every organisation, in
// key order, until fn returns false.
func (r *ReadTxn) EachJobSpec(fn func(s JobSpec) bool) error {
	it, err := r.txn.Get(tableJobSpecs, indexID)
	if err != nil {
		return fmt.Errorf("store: scan all job specs: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !fn(raw.(*jobSpecRow).s) {
			return nil
		}
	}
	return nil
}

// EachJobStep calls fn with every step of every job of every organisation,
// in key order (each job's steps in step order), until fn returns false.
func (r *ReadTxn) EachJobStep(fn func(s JobStep) bool) error {
	it, err := r.txn.Get(tableJobSteps, indexID)
	if err != nil {
		return fmt.Errorf("store: scan all job steps: %w", err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !fn(raw.(*jobStepRow).s) {
			return nil
		}
	}
	return nil
}

// EachGrantTo calls fn with every grant to grantee in org, ordered by entity
// type, entity id, then effect, until fn returns false: what ScanGrants by
// grantee yields, read from the grantee index without making each row's
// key. The grant is the stored row, to read and never change.
func (r *ReadTxn) EachGrantTo(org string, grantee model.Subject, fn func(g *model.Grant) bool) {
	pivot := &grantRow{g: model.Grant{Org: org, Grantee: grantee}}
	r.gx.byGrantee.AscendGreaterOrEqual(pivot, func(row *grantRow) bool {
		return row.g.Org == org && row.g.Grantee == grantee && fn(&row.g)
	})
}
