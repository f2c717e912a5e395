package engine

import (
	"context"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// DefaultChangeRetention is how many commits the change feed keeps unless
// WithChangeRetention says otherwise.
const DefaultChangeRetention = 10_000

// WithChangeRetention sets how many of the last commits the change feed
// keeps (every commit counts, whichever organisation it touched): Changes
// and Watch serve any revision within them, and a read after an older
// revision of an organisation whose commits have left is ErrCompacted.
// Memory follows the commits' sizes: the window holds the rows of the
// commits it keeps, so a few bulk commits of a million grants each keep
// those grants alive after they are revoked. Default: 10000 commits
// (DefaultChangeRetention). Zero or a negative n is the default.
func WithChangeRetention(n int) Option {
	return func(c *config) { c.changeRetention = n }
}

// Changes returns org's commits after revision after, oldest first, at most
// limit of them (0 means model.DefaultPageSize, more than model.MaxPageSize
// is taken as model.MaxPageSize; negative is ErrValidation on limit). Each
// Change lists the grants, memberships and links of org the commit wrote or
// deleted, each at most once, in its state after the commit; a grant
// replaced under its key by one with another id (a grant created over an
// ended one that was not swept) shows as a delete of the old id and a write
// of the new. Commits of other organisations, and commits of only job
// bookkeeping, are not there at all: revisions skip them. An expiry sweep
// shows as deletes, with At the time of the sweep; a grant's window
// starting produces nothing.
//
// Only published revisions are returned: once Changes has returned a
// commit, every read call sees it. The slices of a Change may be shared
// with other readers of the feed: treat them as read-only. after may be any
// revision: after the last published one the result is empty. When a
// commit of org after after is no longer retained (see
// WithChangeRetention) the result is ErrCompacted, never a gap: take
// Revision, read the state afresh, and continue after that revision (a
// commit already in the state read may come again; applying a change twice
// leaves the same state). A page that the window overtakes while it is
// read (its oldest commits leave as it is read) ends early, with no gap:
// the read after it is ErrCompacted.
func (e *Engine) Changes(ctx context.Context, org string, after uint64, limit int) ([]model.Change, error) {
	switch {
	case limit < 0:
		return nil, model.NewError(model.CodeValidation, model.FieldLimit, "limit must not be negative")
	case limit == 0:
		limit = model.DefaultPageSize
	case limit > model.MaxPageSize:
		limit = model.MaxPageSize
	}
	v, err := e.read(ctx, org)
	if err != nil {
		return nil, err
	}
	out := make([]model.Change, 0, e.changes.countAfter(org, after, limit))
	cursor := windowCursor{org: org, after: after}
	n, ok := e.changes.read(&cursor, v.snap.Revision(), limit, func(p *orgPart) bool {
		out = append(out, *p.feedChange())
		return true
	})
	if !ok && n == 0 {
		return nil, compactedError(org, after)
	}
	// A page the window overtook while it was read ends early: what it
	// holds has no gap, and the next read after it is ErrCompacted.
	return out, nil
}

func compactedError(org string, after uint64) error {
	return model.NewError(model.CodeCompacted, "",
		"changes of %s after revision %d are no longer held: read the state afresh and continue from its revision", org, after)
}

// sharedChangeItems is the most items a commit's Change may hold to be
// kept once made and handed to every later reader: a hundred watchers then
// cost one conversion per commit, not a hundred. Larger ones (bulk
// commits) are made for each read, so that the window never holds a
// second copy of a large commit's grants.
const sharedChangeItems = 1000

// sharedChange is a part's Change as made once for all its readers, with
// room for the one grant most commits carry: making it is one allocation
// per commit, however many watchers read it. A grant change is some 250
// bytes, and room for a second (a write over another id) would nearly
// double what every one-grant commit allocates.
type sharedChange struct {
	change model.Change
	grants [1]model.GrantChange
}

// feedChange returns one organisation's part of a retained commit as its
// model.Change: each grant (by id), membership and link once, in the order of
// its last change in the commit, as it stands after the commit. The Change
// may be shared: callers copy it and never write through it. It is small
// enough to inline, since a watcher calls it for every commit it reads.
func (p *orgPart) feedChange() *model.Change {
	if sc := p.change.Load(); sc != nil {
		return &sc.change
	}
	return p.makeChange()
}

// makeChange makes p's Change, and keeps it for the next readers when it is
// small (see sharedChangeItems).
func (p *orgPart) makeChange() *model.Change {
	sc := new(sharedChange)
	sc.change = model.Change{Revision: p.rev, At: p.at}
	if pc := p.packed; pc != nil {
		if len(pc.grants) > 0 {
			sc.change.Grants = pc.feedGrants()
		}
		if pc.memberships.len() > 0 {
			sc.change.Memberships = pc.feedMemberships()
		}
		if pc.links.len() > 0 {
			sc.change.Links = pc.feedLinks()
		}
		return &sc.change
	}
	if len(p.grants) > 0 {
		sc.change.Grants = feedGrants(p.grants, sc.grants[:0])
	}
	if ms := p.memberships; len(ms) > 0 {
		sc.change.Memberships = feedMemberships(ms)
	}
	if ls := p.links; len(ls) > 0 {
		sc.change.Links = feedLinks(ls)
	}
	if len(p.grants)+len(p.memberships)+len(p.links) <= sharedChangeItems {
		p.change.CompareAndSwap(nil, sc)
	}
	return &sc.change
}

// feedGrants lists the grant changes of one commit, keeping the last change
// of each id, appended to buf when it has room. A write that replaced a row
// of another id under its key deletes that id just before it.
func feedGrants(changes []store.GrantChange, buf []model.GrantChange) []model.GrantChange {
	n := len(changes)
	for i := range changes {
		if replacesAnother(&changes[i]) {
			n++
		}
	}
	all := buf
	if cap(all) < n {
		all = make([]model.GrantChange, 0, n)
	}
	for i := range changes {
		gc := &changes[i]
		var replaced *model.Grant
		if replacesAnother(gc) {
			replaced = gc.Replaced
		}
		all = appendGrantChange(all, gc.Grant, replaced, gc.Deleted)
	}
	return lastOfEach(all, func(c *model.GrantChange) string { return c.Grant.ID })
}

// appendGrantChange appends the feed's entries for one grant change: the
// delete of the row of another id it replaced (nil when none), then the
// change itself.
func appendGrantChange(all []model.GrantChange, g, replaced *model.Grant, deleted bool) []model.GrantChange {
	if replaced != nil {
		all = append(all, model.GrantChange{Op: model.ChangeDelete, Grant: *replaced})
	}
	return append(all, model.GrantChange{Op: changeOp(deleted), Grant: *g})
}

// changeOp is the feed's op for a change deleted or not.
func changeOp(deleted bool) model.ChangeOp {
	if deleted {
		return model.ChangeDelete
	}
	return model.ChangeWrite
}

// replacesAnother reports whether gc wrote over a row of another id under
// its key, which the feed shows as that id's delete.
func replacesAnother(gc *store.GrantChange) bool {
	r := gc.Replaced
	return !gc.Deleted && r != nil && r.ID != gc.Grant.ID
}

func feedMemberships(changes []store.MembershipChange) []model.MembershipChange {
	all := make([]model.MembershipChange, len(changes))
	for i, mc := range changes {
		all[i] = model.MembershipChange{Op: changeOp(mc.Deleted), Membership: mc.Membership}
	}
	return lastOfEach(all, func(c *model.MembershipChange) model.Membership { return c.Membership })
}

func feedLinks(changes []store.LinkChange) []model.LinkChange {
	all := make([]model.LinkChange, len(changes))
	for i, lc := range changes {
		all[i] = model.LinkChange{Op: changeOp(lc.Deleted), Link: lc.Link}
	}
	return lastOfEach(all, func(c *model.LinkChange) model.EntityLink { return c.Link })
}

// lastOfEach keeps, of the items sharing a key, the last one, in place and
// in order of those last ones.
func lastOfEach[T any, K comparable](items []T, key func(*T) K) []T {
	if len(items) < 2 {
		return items
	}
	last := make(map[K]int, len(items))
	for i := range items {
		last[key(&items[i])] = i
	}
	if len(last) == len(items) {
		return items
	}
	kept := items[:0]
	for i := range items {
		if last[key(&items[i])] == i {
			kept = append(kept, items[i])
		}
	}
	return kept
}
