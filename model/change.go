package model

import "time"

// ChangeOp says what a commit did to one item of the change feed.
type ChangeOp string

// The change operations. A write is an insert or a replacement: the item as
// it stands after the commit. A delete carries the item as it was when it
// was removed.
const (
	ChangeWrite  ChangeOp = "write"
	ChangeDelete ChangeOp = "delete"
)

// GrantChange is one grant a commit wrote or deleted. Grant is the whole
// grant (id, organisation, window) as written, or as it was when deleted.
type GrantChange struct {
	Op    ChangeOp `json:"op"`
	Grant Grant    `json:"grant"`
}

// MembershipChange is one membership a commit added (ChangeWrite) or removed
// (ChangeDelete).
type MembershipChange struct {
	Op         ChangeOp   `json:"op"`
	Membership Membership `json:"membership"`
}

// LinkChange is one entity link a commit added (ChangeWrite) or removed
// (ChangeDelete).
type LinkChange struct {
	Op   ChangeOp   `json:"op"`
	Link EntityLink `json:"link"`
}

// Change is one commit as one organisation sees it: the grants, memberships
// and links of that organisation the commit wrote or deleted, each listed at
// most once, in its state after the commit. Revision is the commit's
// revision and At the engine's time when it was published (for an expiry
// sweep, the time of the sweep). Revisions of one organisation's changes
// ascend but skip: other organisations' commits and the engine's own
// bookkeeping (bulk job rows) take revisions too and are not in the feed.
type Change struct {
	Revision    uint64             `json:"revision"`
	At          time.Time          `json:"at"`
	Grants      []GrantChange      `json:"grants,omitempty"`
	Memberships []MembershipChange `json:"memberships,omitempty"`
	Links       []LinkChange       `json:"links,omitempty"`
}

// CodeCompacted is the code of ErrCompacted.
const CodeCompacted = "COMPACTED"

// ErrCompacted is the sentinel of a change feed read whose revisions are no
// longer held: some commit of the organisation after the revision asked for
// has left the retained window. Start again from a fresh read of the state.
var ErrCompacted error = &Error{Code: CodeCompacted, Message: "revisions no longer held"}
