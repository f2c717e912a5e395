package store

import (
	"fmt"
	"slices"

	"github.com/grantdb/grantdb/model"
)

// Restore fills a new store with rows kept elsewhere (a snapshot file), in
// one transaction, and commits them as one given revision: the counterpart
// of the scans (EachGrant, EachMembership, EachLink, EachJob, EachJobSpec,
// EachJobStep) through which a file format writes a Snapshot out without
// knowing how the store keeps it. Rows may come in any order; in the order
// those scans yield them, loading is fastest. Two rows under the same key
// (or two grants with the same id) are an error: a restore holds each row
// once. A repeated key is refused by the call that adds the row, a repeated
// grant id by Commit, which builds the id index in id order. The caller has
// validated every row.
//
//	r, err := s.Restore()
//	defer r.Abort()
//	err = r.Grant(g) // ... for each row
//	snap, err := r.Commit(rev)
type Restore struct {
	w *WriteTxn
	// last is the key of the table's last row, to find a repeated key
	// without a lookup while rows come in key order.
	last map[string]string
	// members are the memberships restored, for the group btree at Commit:
	// they come in member order, and sorted by group they walk it once.
	members []*membershipRow
	// grants are the grants restored, for the id and grantee indexes at
	// Commit, for the same reason: a snapshot's grants come in key order,
	// which lands each at a random leaf of either tree.
	grants []*grantRow
	// links are the links restored, for Rows.
	links []LinkChange
}

// Restore starts filling s, which must be new: at revision 0, with nothing
// written. Use it on one goroutine, and write nothing else to s until it
// is committed or aborted.
func (s *Store) Restore() (*Restore, error) {
	if s.rev != 0 {
		return nil, fmt.Errorf("store: restore into a store at revision %d: it must be new", s.rev)
	}
	return &Restore{w: s.Write(), last: make(map[string]string, 5)}, nil
}

// RestoreRow is a grant made into the row the store will keep, ready for
// Restore.Row. PrepareGrant makes it from the grant alone, on any goroutine:
// a loader makes the rows where it decodes them, while the goroutine that
// owns the Restore stores the previous ones.
type RestoreRow struct{ row *grantRow }

// PrepareGrant returns the row of g, whose ID must be set. It is safe to call
// from any goroutine; the row keeps no reference to g's memory.
func PrepareGrant(g model.Grant) (RestoreRow, error) {
	if g.ID == "" {
		return RestoreRow{}, fmt.Errorf("store: restore: a grant without an id")
	}
	return RestoreRow{newGrantRow(g)}, nil
}

// Grant stores g, whose ID must be set.
func (r *Restore) Grant(g model.Grant) error {
	p, err := PrepareGrant(g)
	if err != nil {
		return err
	}
	return r.Row(p)
}

// Row stores the grant of p, a row from PrepareGrant not stored before.
func (r *Restore) Row(p RestoreRow) error {
	row := p.row
	if row == nil {
		return fmt.Errorf("store: restore: a row not made by PrepareGrant")
	}
	g := &row.g
	e, err := r.w.ownEntity(entityKeyOf(row.key), 0)
	if err != nil {
		return fmt.Errorf("store: restore grant: %w", err)
	}
	if e.put(row) != nil {
		return fmt.Errorf("store: restore: a second grant of %s on %s in %s", g.Grantee, g.Entity, g.Org)
	}
	if n := len(r.grants); n > 0 {
		shareStrings(row, r.grants[n-1])
	}
	r.grants = append(r.grants, row)
	return nil
}

// Membership stores m in org.
func (r *Restore) Membership(org string, m model.Membership) error {
	row := &membershipRow{key: membershipKey(org, m), m: m}
	owner, err := r.w.ownMember(entityKeyOf(row.key))
	if err != nil {
		return fmt.Errorf("store: restore membership: %w", err)
	}
	if !owner.put(row) {
		return fmt.Errorf("store: restore %s: a second row under key %q", tableMemberships, row.key)
	}
	r.members = append(r.members, row)
	return nil
}

// Link stores the entity link l in org.
func (r *Restore) Link(org string, l model.EntityLink) error {
	row := &linkRow{key: linkKey(org, l), org: org, l: l}
	// A repeated link fails the restore, which is then aborted.
	if !r.w.putLink(row) {
		return fmt.Errorf("store: restore links: a second row under key %q", row.key)
	}
	r.links = append(r.links, LinkChange{Org: org, Link: l})
	return nil
}

// Job stores the summary j.
func (r *Restore) Job(j Job) error {
	if err := r.fresh(tableJobs, jobKey(j.Org, j.ID)); err != nil {
		return err
	}
	return r.w.PutJob(j)
}

// JobSpec stores the spec s; the store keeps its slices.
func (r *Restore) JobSpec(s JobSpec) error {
	if err := r.fresh(tableJobSpecs, jobKey(s.Org, s.JobID)); err != nil {
		return err
	}
	return r.w.PutJobSpec(s)
}

// JobStep stores the step s; the store keeps its Errors.
func (r *Restore) JobStep(s JobStep) error {
	if s.Index < 0 || s.Index > MaxJobSteps {
		return fmt.Errorf("store: restore job step: index %d out of range", s.Index)
	}
	if err := r.fresh(tableJobSteps, jobStepKey(s.Org, s.JobID, s.Index)); err != nil {
		return err
	}
	return r.w.PutJobStep(s)
}

// fresh refuses key when table holds it already. A key after the table's
// last one cannot be there; only one out of order costs a lookup.
func (r *Restore) fresh(table, key string) error {
	last, seen := r.last[table]
	r.last[table] = key
	if !seen || key > last {
		return nil
	}
	raw, err := r.w.txn.First(table, indexID, key)
	if err != nil {
		return fmt.Errorf("store: restore %s: %w", table, err)
	}
	if raw != nil {
		return fmt.Errorf("store: restore %s: a second row under key %q", table, key)
	}
	return nil
}

// Rows returns the grants, memberships and links restored so far as one
// change set at revision rev, in the order they came, each grant the row the
// store keeps (the pointer EachGrant yields after Commit): what a derived
// index built from the committed snapshot would read, handed over before
// Commit builds the store's own indexes, so that the caller may build its
// index meanwhile, on another goroutine. The rows must not be changed, and
// Rows must not be called while Grant, Membership or Link run.
func (r *Restore) Rows(rev uint64) ChangeSet {
	cs := ChangeSet{Revision: rev, Links: slices.Clone(r.links)}
	cs.Grants = make([]GrantChange, len(r.grants))
	for i, row := range r.grants {
		cs.Grants[i].Grant = &row.g
	}
	cs.Memberships = make([]MembershipChange, len(r.members))
	for i, row := range r.members {
		cs.Memberships[i] = MembershipChange{Org: row.org(), Membership: row.m}
	}
	return cs
}

// Commit makes what was restored the store's state as revision rev and
// returns its snapshot. It fails after Commit or Abort, and when two grants
// have the same id; the restore must then be aborted.
func (r *Restore) Commit(rev uint64) (*Snapshot, error) {
	if r.w.done {
		return nil, fmt.Errorf("store: commit of a finished restore")
	}
	r.w.changes = ChangeSet{} // nobody consumes a restore's changes
	if err := r.w.gx.restoreGrants(r.grants); err != nil {
		return nil, err
	}
	r.grants = nil
	r.w.gx.putMembers(r.members)
	r.members = nil
	r.links = nil
	_, snap := r.w.commitAt(rev)
	return snap, nil
}

// Abort discards the restore; it is a no-op after Commit, so that
// `defer r.Abort()` is always safe.
func (r *Restore) Abort() { r.w.Abort() }
