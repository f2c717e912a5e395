package engine

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// changeWindow is the retained part of the change feed: the last commits the
// engine published (at most retention of them), each split into what it did
// per organisation, and for each organisation the revisions of its commits.
// It holds the store's immutable rows, never copies: a commit costs the
// window a few words per organisation it touched.
//
// Writers feed it under writeMu (add); readers take its read lock only to
// pick the commits they want, and turn them into model.Change outside it, so
// a reader never holds a writer up for longer than a binary search.
type changeWindow struct {
	mu sync.RWMutex
	// retention is how many commits are kept (DefaultChangeRetention when
	// the option left it unset).
	retention int
	// ring holds the retained commits, oldest at head; it grows up to
	// retention, then each new commit takes the oldest one's slot.
	ring []windowCommit
	head int
	// floor is the revision the window starts after: every commit above it
	// was added, and is held or counted in its organisations' lost marks.
	// It is the revision the engine opened at (known at its first commit),
	// or the revision before a gap (see add).
	floor uint64
	// last is the revision of the newest commit added, floor when none.
	last uint64
	// orgs indexes the retained commits by organisation. An organisation's
	// entry stays once its commits are all evicted: its lost mark still
	// answers whether a read after a given revision missed anything.
	orgs map[string]*orgRevisions
}

// windowCommit is one published commit: its revision, its time and what it
// did to each organisation it touched (none for job bookkeeping alone).
type windowCommit struct {
	rev   uint64
	at    time.Time
	parts []orgPart
}

// orgPart is what one commit did to one organisation: slices of the
// commit's change set, in commit order.
type orgPart struct {
	org         string
	grants      []store.GrantChange
	memberships []store.MembershipChange
	links       []store.LinkChange
	// change is the part as a model.Change, made by its first reader and
	// shared by the later ones (see feedChange); nil until then.
	change atomic.Pointer[model.Change]
}

// orgRevisions is one organisation's index into the window.
type orgRevisions struct {
	// revs are the revisions of the organisation's retained commits,
	// ascending, from revs[head].
	revs []uint64
	head int
	// lost is the greatest revision of the organisation's commits that
	// were evicted: a read after an earlier revision would miss it.
	lost uint64
}

// pickedCommit is a retained commit as one organisation sees it.
type pickedCommit struct {
	rev  uint64
	at   time.Time
	part *orgPart
}

// add records the commit cs, published at at. It runs under writeMu, in
// commit order, before the revision is published.
func (w *changeWindow) add(cs store.ChangeSet, at time.Time) {
	parts := splitByOrg(cs)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.orgs == nil {
		w.orgs = make(map[string]*orgRevisions)
	}
	if cs.Revision != w.last+1 {
		// Revisions are consecutive on one engine: a first commit after
		// Open loaded revision R is R+1. Nothing before a gap can be
		// vouched for.
		w.reset(cs.Revision - 1)
	}
	if len(w.ring) == w.limit() {
		w.evictOldest()
		w.ring[(w.head+len(w.ring)-1)%len(w.ring)] = windowCommit{rev: cs.Revision, at: at, parts: parts}
	} else {
		w.ring = append(w.ring, windowCommit{rev: cs.Revision, at: at, parts: parts})
	}
	w.last = cs.Revision
	for i := range parts {
		o := w.orgs[parts[i].org]
		if o == nil {
			o = &orgRevisions{}
			w.orgs[parts[i].org] = o
		}
		o.revs = append(o.revs, cs.Revision)
	}
}

func (w *changeWindow) limit() int {
	if w.retention <= 0 {
		return DefaultChangeRetention
	}
	return w.retention
}

// at returns the i-th retained commit, oldest first. The caller holds mu.
func (w *changeWindow) at(i int) *windowCommit {
	return &w.ring[(w.head+i)%len(w.ring)]
}

// evictOldest drops the oldest commit of a full ring and marks it lost in
// each organisation it touched. The ring keeps its length: add writes the
// new commit into the freed slot. The caller holds mu for writing.
func (w *changeWindow) evictOldest() {
	old := &w.ring[w.head]
	for i := range old.parts {
		o := w.orgs[old.parts[i].org]
		o.head++
		o.lost = old.rev
		if o.head == len(o.revs) {
			o.revs, o.head = o.revs[:0], 0
		} else if o.head >= 64 && o.head*2 >= len(o.revs) {
			o.revs = append(o.revs[:0], o.revs[o.head:]...)
			o.head = 0
		}
	}
	*old = windowCommit{} // let its rows go
	w.head = (w.head + 1) % len(w.ring)
}

// reset empties the window, which now starts after floor. The caller holds
// mu for writing.
func (w *changeWindow) reset(floor uint64) {
	clear(w.ring)
	w.ring, w.head, w.floor, w.last = w.ring[:0], 0, floor, floor
	clear(w.orgs)
}

// pick appends to picked org's retained commits after after and at most
// through (the published revision), oldest first, at most limit of them. ok is false
// when some commit of org after after is no longer held, or may not be:
// revisions up to the floor, and any the window was not given (an engine
// opened at a revision it has not committed past yet).
func (w *changeWindow) pick(org string, after, through uint64, limit int, picked []pickedCommit) ([]pickedCommit, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if after < w.floor || through > w.last && after < through {
		return nil, false
	}
	o := w.orgs[org]
	if o == nil {
		return nil, true
	}
	if after < o.lost {
		return nil, false
	}
	revs := o.revs[o.head:]
	i := sort.Search(len(revs), func(i int) bool { return revs[i] > after })
	for n := 0; i < len(revs) && n < limit && revs[i] <= through; i, n = i+1, n+1 {
		c := w.at(int(revs[i] - w.at(0).rev))
		for j := range c.parts {
			if c.parts[j].org == org {
				picked = append(picked, pickedCommit{rev: c.rev, at: c.at, part: &c.parts[j]})
				break
			}
		}
	}
	return picked, true
}

// splitByOrg cuts cs into what it did to each organisation, in the order
// each organisation first appears. Job rows are left out: they are the
// engine's bookkeeping, not access. A commit of one organisation (all but
// expiry sweeps) shares the change set's slices.
func splitByOrg(cs store.ChangeSet) []orgPart {
	org, single := "", true
	for i := range cs.Grants {
		single, org = sameOrg(single, org, cs.Grants[i].Grant.Org)
	}
	for i := range cs.Memberships {
		single, org = sameOrg(single, org, cs.Memberships[i].Org)
	}
	for i := range cs.Links {
		single, org = sameOrg(single, org, cs.Links[i].Org)
	}
	if len(cs.Grants) == 0 && len(cs.Memberships) == 0 && len(cs.Links) == 0 {
		return nil
	}
	if single {
		return []orgPart{{org: org, grants: cs.Grants, memberships: cs.Memberships, links: cs.Links}}
	}
	var parts []orgPart
	index := make(map[string]int)
	part := func(org string) *orgPart {
		i, ok := index[org]
		if !ok {
			i = len(parts)
			index[org] = i
			parts = append(parts, orgPart{org: org})
		}
		return &parts[i]
	}
	for _, gc := range cs.Grants {
		p := part(gc.Grant.Org)
		p.grants = append(p.grants, gc)
	}
	for _, mc := range cs.Memberships {
		p := part(mc.Org)
		p.memberships = append(p.memberships, mc)
	}
	for _, lc := range cs.Links {
		p := part(lc.Org)
		p.links = append(p.links, lc)
	}
	return parts
}

// sameOrg folds one more organisation into a running "all the same" check.
func sameOrg(single bool, org, next string) (bool, string) {
	if org == "" {
		return single, next
	}
	return single && org == next, org
}
