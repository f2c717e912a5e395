package store

import "github.com/grantdb/grantdb/model"

// ChangeSet is what one commit did: its revision and the rows it wrote and
// deleted, per table, in the order the transaction made them. It is the one
// unit that the derived index and the journal consume. A later change to the
// same key supersedes an earlier one.
type ChangeSet struct {
	Revision    uint64
	Grants      []GrantChange
	Memberships []MembershipChange
	// Links are the entity links added and removed.
	Links []LinkChange
	// Jobs are the bulk access job rows written (summaries, specs, steps).
	Jobs []JobChange
}

// GrantChange is one grant written (inserted or replaced, by its unique key)
// or deleted. Grant points at the stored, immutable row: read it, never
// write through it.
type GrantChange struct {
	Deleted bool
	Grant   *model.Grant
	// Replaced is, for a write, the row the write replaced under its key
	// (nil: the key was free). It may carry another id: a grant created
	// over an ended one that was not swept yet takes its key.
	Replaced *model.Grant
}

// MembershipChange is one membership added or removed in an organisation.
type MembershipChange struct {
	Deleted    bool
	Org        string
	Membership model.Membership
}

// LinkChange is one entity link added or removed in an organisation.
type LinkChange struct {
	Deleted bool
	Org     string
	Link    model.EntityLink
}

func (c *ChangeSet) empty() bool {
	return len(c.Grants) == 0 && len(c.Memberships) == 0 && len(c.Links) == 0 && len(c.Jobs) == 0
}
