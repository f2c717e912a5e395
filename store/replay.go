package store

import (
	"fmt"
	"iter"

	"github.com/grantdb/grantdb/model"
)

// Replay: making a Store what the files say, outside the engine's write path
// (loading is not a commit: nothing is journalled, and the revision is the
// one on disk).

// applyChangeSet redoes a journalled commit on s, as the revision after the
// store's current one. Every change must make sense against the current
// state (a delete finds its row, an added membership is new): anything else
// means the journal does not follow the state, and is an error.
func applyChangeSet(s *Store, cs *ChangeSet) error {
	if cs.Revision != s.rev+1 {
		return fmt.Errorf("revision %d does not follow the store's %d", cs.Revision, s.rev)
	}
	w := s.Write()
	defer w.Abort()
	for _, gc := range cs.Grants {
		if gc.Deleted {
			found, err := w.DeleteGrant(*gc.Grant)
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("revision %d deletes grant %s, which is not stored", cs.Revision, gc.Grant.ID)
			}
			continue
		}
		if err := w.PutGrant(*gc.Grant); err != nil {
			return err
		}
	}
	for _, mc := range cs.Memberships {
		var changed bool
		var err error
		if mc.Deleted {
			changed, err = w.RemoveMembership(mc.Org, mc.Membership)
		} else {
			changed, err = w.AddMembership(mc.Org, mc.Membership)
		}
		if err != nil {
			return err
		}
		if !changed {
			return fmt.Errorf("revision %d changes membership %s in %s %s, which does not change it",
				cs.Revision, mc.Membership.Member, mc.Membership.Group, mc.Org)
		}
	}
	for _, jc := range cs.Jobs {
		if err := putJobChange(w, jc); err != nil {
			return err
		}
	}
	w.commitAt(cs.Revision)
	return nil
}

func putJobChange(w *WriteTxn, jc JobChange) error {
	switch {
	case jc.Job != nil:
		return w.PutJob(*jc.Job)
	case jc.Spec != nil:
		return w.PutJobSpec(*jc.Spec)
	case jc.Step != nil:
		return w.PutJobStep(*jc.Step)
	}
	return fmt.Errorf("store: empty job change")
}

// loadBatch is a run of decoded snapshot rows of one table, in key order.
type loadBatch struct {
	tag         byte
	keys        []string // grants: each grant's key
	grants      []model.Grant
	memberships []*membershipRow
	jobs        []JobChange
}

// bulkLoad fills the empty store s with the batches that next yields (nil:
// no more), in one transaction, and, unless finish then reports an error,
// commits it as revision rev. Grants go in
// through PutGrants, which inserts a key-ordered run far faster than one
// PutGrant each; memberships are inserted directly (a snapshot holds each
// once, in key order).
func bulkLoad(s *Store, rev uint64, next func() *loadBatch, finish func() error) error {
	if s.rev != 0 {
		return fmt.Errorf("store: load into a store at revision %d: it must be new", s.rev)
	}
	w := s.Write()
	defer w.Abort()
	pending := next()
	for pending != nil {
		b := pending
		pending = nil
		switch b.tag {
		case tagGrants:
			// One PutGrants call over every consecutive grant batch.
			var seq iter.Seq2[GrantKey, *model.Grant] = func(yield func(GrantKey, *model.Grant) bool) {
				for cur := b; ; {
					for i := range cur.grants {
						if !yield(GrantKey{cur.keys[i]}, &cur.grants[i]) {
							return
						}
					}
					cur = next()
					if cur == nil || cur.tag != tagGrants {
						pending = cur
						return
					}
				}
			}
			if err := w.PutGrants(seq); err != nil {
				return err
			}
		case tagMemberships:
			for _, row := range b.memberships {
				if err := w.txn.Insert(tableMemberships, row); err != nil {
					return fmt.Errorf("store: load membership: %w", err)
				}
			}
			pending = next()
		case tagJobs:
			for _, jc := range b.jobs {
				if err := putJobChange(w, jc); err != nil {
					return err
				}
			}
			pending = next()
		default:
			return fmt.Errorf("store: load: unknown table tag %d", b.tag)
		}
	}
	if err := finish(); err != nil {
		return err
	}
	w.changes = ChangeSet{} // nobody consumes a load's changes
	w.commitAt(rev)
	return nil
}
