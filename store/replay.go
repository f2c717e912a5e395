package store

import (
	"fmt"
)

// Replay redoes on s a commit read back from elsewhere (a journal), as the
// revision after the store's current one, outside any engine write path:
// nothing consumes its change set, and the revision is cs.Revision. Every
// change must make sense against the current state (a delete finds its row,
// an added membership or link is new, a job change holds a row): anything else means
// the commit does not follow the state, and is an error that leaves s as it
// was.
func (s *Store) Replay(cs ChangeSet) error {
	_, _, err := s.ReplayCommit(cs)
	return err
}

// ReplayCommit is Replay returning what the commit did, as Commit does (the
// change set as the store made it, Replaced rows included, and the new
// snapshot): a replica applying a commit of the shared log publishes it.
func (s *Store) ReplayCommit(cs ChangeSet) (ChangeSet, *Snapshot, error) {
	if cs.Revision != s.rev+1 {
		return ChangeSet{}, nil, fmt.Errorf("store: replay: revision %d does not follow the store's %d", cs.Revision, s.rev)
	}
	w := s.Write()
	defer w.Abort()
	for _, gc := range cs.Grants {
		if gc.Grant == nil {
			return ChangeSet{}, nil, fmt.Errorf("store: replay: revision %d: a grant change without its grant", cs.Revision)
		}
		if gc.Deleted {
			found, err := w.DeleteGrant(*gc.Grant)
			if err != nil {
				return ChangeSet{}, nil, err
			}
			if !found {
				return ChangeSet{}, nil, fmt.Errorf("store: replay: revision %d deletes grant %s, which is not stored", cs.Revision, gc.Grant.ID)
			}
			continue
		}
		if err := w.PutGrant(*gc.Grant); err != nil {
			return ChangeSet{}, nil, err
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
			return ChangeSet{}, nil, err
		}
		if !changed {
			return ChangeSet{}, nil, fmt.Errorf("store: replay: revision %d changes membership %s in %s %s, which does not change it",
				cs.Revision, mc.Membership.Member, mc.Membership.Group, mc.Org)
		}
	}
	for _, lc := range cs.Links {
		var changed bool
		var err error
		if lc.Deleted {
			changed, err = w.RemoveLink(lc.Org, lc.Link)
		} else {
			changed, err = w.AddLink(lc.Org, lc.Link)
		}
		if err != nil {
			return ChangeSet{}, nil, err
		}
		if !changed {
			return ChangeSet{}, nil, fmt.Errorf("store: replay: revision %d changes link %s in %s %s, which does not change it",
				cs.Revision, lc.Link.Child, lc.Link.Parent, lc.Org)
		}
	}
	for _, jc := range cs.Jobs {
		if err := putJobChange(w, jc); err != nil {
			return ChangeSet{}, nil, err
		}
	}
	done, snap := w.commitAt(cs.Revision)
	return done, snap, nil
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
