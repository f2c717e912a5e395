package engine

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grantdb/grantdb/store"
)

// changeWindow is the retained part of the change feed: the last commits the
// engine published (at most retention of them), each split into what it did
// per organisation, and for each organisation its retained parts, oldest
// first, each linked to the next. It holds the store's immutable rows, never
// copies: a commit costs the window a few words per organisation it touched,
// and a large one about 8 bytes a change (see packedChanges).
//
// Writers feed it under writeMu (add). A reader that holds its place in an
// organisation's feed (a watcher) follows the links with atomic loads only,
// so that a hundred watchers reading every commit never touch a lock the
// writer takes: the writer's cost is the same with none. The read lock is
// for seeking a revision (the start of a read, a place that left the
// window), and is held for a binary search.
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
	// or the revision before a gap (see add). Written under mu; atomic so
	// that quiet reads it without the lock.
	floor atomic.Uint64
	// last is the revision of the newest commit added, floor when none.
	last atomic.Uint64
	// orgs indexes the retained commits by organisation, under mu. An
	// organisation's entry stays once its commits are all evicted: its lost
	// mark still answers whether a read after a given revision missed
	// anything.
	orgs map[string]*orgRevisions
	// lockFree holds the same entries as orgs (string to *orgRevisions) for
	// quiet, which reads their atomic fields without the lock.
	lockFree sync.Map
}

// windowCommit is one published commit: its revision and what it did to
// each organisation it touched (none for job bookkeeping alone).
type windowCommit struct {
	rev   uint64
	parts []orgPart
}

// orgPart is what one commit did to one organisation, in commit order:
// slices of the commit's change set, or, for a part of more than
// sharedChangeItems changes, the same packed (see packedChanges) and the
// slices nil. All but the atomic fields are set before the part is added
// and never change.
type orgPart struct {
	org         string
	rev         uint64
	at          time.Time
	grants      []store.GrantChange
	memberships []store.MembershipChange
	links       []store.LinkChange
	packed      *packedChanges
	// change is the part as a model.Change, made by its first reader and
	// shared by the later ones (see feedChange); nil until then, and again
	// once the commit is sharedSpan commits old.
	change atomic.Pointer[sharedChange]
	// next is the organisation's next part, nil until the writer adds one.
	// Eviction sets evicted and then cuts next, so that a reader stuck on an
	// evicted part keeps only that part alive, not every later one.
	next    atomic.Pointer[orgPart]
	evicted atomic.Bool
}

// orgRevisions is one organisation's index into the window.
type orgRevisions struct {
	// parts are the organisation's retained parts, ascending by revision,
	// from parts[head]. Under mu.
	parts []*orgPart
	head  int
	// tail is the newest retained part, nil when none; new parts are
	// linked from it.
	tail atomic.Pointer[orgPart]
	// lost is the greatest revision of the organisation's commits that
	// were evicted (or the floor after a gap): a read after an earlier
	// revision would miss it. Stored before tail is cleared.
	lost atomic.Uint64
}

// add records the commit cs, published at at. It runs under writeMu, in
// commit order, before the revision is published, so that every part a
// reader can reach up to the published revision is linked.
func (w *changeWindow) add(cs store.ChangeSet, at time.Time) {
	w.addParts(cs.Revision, splitByOrg(cs, at))
}

// addParts is add given the commit's parts, as splitByOrg made them (the
// writer makes them on its core while the commit's index is derived on the
// other).
func (w *changeWindow) addParts(rev uint64, parts []orgPart) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.orgs == nil {
		w.orgs = make(map[string]*orgRevisions)
	}
	if rev != w.last.Load()+1 {
		// Revisions are consecutive on one engine: a first commit after
		// Open loaded revision R is R+1. Nothing before a gap can be
		// vouched for.
		w.reset(rev - 1)
	}
	if len(w.ring) == w.limit() {
		w.evictOldest()
		w.ring[(w.head+len(w.ring)-1)%len(w.ring)] = windowCommit{rev: rev, parts: parts}
	} else {
		w.ring = append(w.ring, windowCommit{rev: rev, parts: parts})
	}
	for i := range parts {
		p := &parts[i]
		o := w.orgs[p.org]
		if o == nil {
			o = &orgRevisions{}
			w.orgs[p.org] = o
			w.lockFree.Store(p.org, o)
		}
		o.parts = append(o.parts, p)
		if t := o.tail.Load(); t != nil {
			t.next.Store(p)
		}
		o.tail.Store(p)
	}
	w.last.Store(rev)
	w.unshare(sharedSpan)
}

// sharedSpan is how many of the newest commits keep the Change their first
// reader made (see orgPart.feedChange). Watchers that keep up read each
// commit within a few milliseconds of its publishing, far inside the span,
// and share one Change; past it, the writer drops it, so that watchers cost
// the window no lasting copy of every grant of every commit it retains
// (some 6 MB of pointer-rich heap at the default retention for one-grant
// commits, which every garbage collection marks again). A reader further
// behind makes the Change again, and keeps it for the readers after it.
const sharedSpan = 1024

// unshare drops the shared Changes of the commit span commits behind the
// newest, if the window holds it. The caller holds mu for writing.
func (w *changeWindow) unshare(span int) {
	n := len(w.ring)
	if n <= span {
		return
	}
	old := &w.ring[(w.head+n-1-span)%n]
	for i := range old.parts {
		old.parts[i].change.Store(nil)
	}
}

func (w *changeWindow) limit() int {
	if w.retention <= 0 {
		return DefaultChangeRetention
	}
	return w.retention
}

// evictOldest drops the oldest commit of a full ring and marks it lost in
// each organisation it touched. The ring keeps its length: add writes the
// new commit into the freed slot. The caller holds mu for writing.
func (w *changeWindow) evictOldest() {
	old := &w.ring[w.head]
	for i := range old.parts {
		p := &old.parts[i]
		o := w.orgs[p.org]
		o.lost.Store(p.rev)
		o.parts[o.head] = nil
		o.head++
		if o.head == len(o.parts) {
			o.parts, o.head = o.parts[:0], 0
		} else if o.head >= 64 && o.head*2 >= len(o.parts) {
			n := copy(o.parts, o.parts[o.head:])
			clear(o.parts[n:])
			o.parts, o.head = o.parts[:n], 0
		}
		cut(p)
		if o.tail.Load() == p {
			o.tail.Store(nil)
		}
	}
	*old = windowCommit{} // let its rows go
	w.head = (w.head + 1) % len(w.ring)
}

// cut marks p evicted and unlinks it from the next part, in that order (see
// windowCursor.following).
func cut(p *orgPart) {
	p.evicted.Store(true)
	p.next.Store(nil)
}

// reset empties the window, which now starts after floor. Organisations
// keep their entries, marked lost up to floor. The caller holds mu for
// writing.
func (w *changeWindow) reset(floor uint64) {
	for i := range w.ring {
		for j := range w.ring[i].parts {
			cut(&w.ring[i].parts[j])
		}
	}
	clear(w.ring)
	w.ring, w.head = w.ring[:0], 0
	w.floor.Store(floor)
	w.last.Store(floor)
	for _, o := range w.orgs {
		o.lost.Store(floor)
		o.tail.Store(nil)
		clear(o.parts)
		o.parts, o.head = o.parts[:0], 0
	}
}

// quiet reports, without the lock, that org has no commit after after up to
// published (the revision the reader loaded before calling) and lost none:
// a reader that finds it so has nothing to read. False means "seek".
func (w *changeWindow) quiet(org string, after, published uint64) bool {
	if after >= published {
		return true
	}
	if after < w.floor.Load() || w.last.Load() < published {
		return false
	}
	v, ok := w.lockFree.Load(org)
	if !ok {
		// Entries are never removed: org has had no commit since the
		// floor was set, and a gap after published is no concern here.
		return true
	}
	o := v.(*orgRevisions)
	// tail before lost: eviction stores lost before it clears tail.
	t := o.tail.Load()
	return (t == nil || t.rev <= after) && o.lost.Load() <= after
}

// seek finds org's place after revision after: prev, the newest retained
// part at or before it (nil when none), and next, the first after it (nil
// when none; it may be past published). ok is false when some commit of org
// after after is no longer held, or may not be: revisions up to the floor,
// and any the window was not given (an engine opened at a revision it has
// not committed past yet).
func (w *changeWindow) seek(org string, after, published uint64) (prev, next *orgPart, ok bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if after < w.floor.Load() || published > w.last.Load() && after < published {
		return nil, nil, false
	}
	o := w.orgs[org]
	if o == nil {
		return nil, nil, true
	}
	if after < o.lost.Load() {
		return nil, nil, false
	}
	parts := o.parts[o.head:]
	i := sort.Search(len(parts), func(i int) bool { return parts[i].rev > after })
	if i > 0 {
		prev = parts[i-1]
	}
	if i < len(parts) {
		next = parts[i]
	}
	return prev, next, true
}

// countAfter is how many of org's retained commits come after after, at
// most limit: the size of a page to make room for.
func (w *changeWindow) countAfter(org string, after uint64, limit int) int {
	w.mu.RLock()
	defer w.mu.RUnlock()
	o := w.orgs[org]
	if o == nil {
		return 0
	}
	parts := o.parts[o.head:]
	i := sort.Search(len(parts), func(i int) bool { return parts[i].rev > after })
	return min(limit, len(parts)-i)
}

// windowCursor is one reader's place in an organisation's feed: every
// commit of it up to after has been read or skipped as not the
// organisation's, and last, when not nil, is the part whose next link leads
// to the next one to read.
type windowCursor struct {
	org   string
	after uint64
	last  *orgPart
}

// read calls fn with org's commits after c.after up to published, oldest
// first, at most limit of them, and moves c past them (and past published
// when fewer were left). It stops early when fn returns false. n is how many
// fn was given; ok is false when a commit the cursor had not reached left
// the window (ErrCompacted): the commits before it were all given.
func (w *changeWindow) read(c *windowCursor, published uint64, limit int, fn func(*orgPart) bool) (n int, ok bool) {
	for n < limit {
		next, ok := w.next(c, published)
		if !ok || next == nil {
			return n, ok
		}
		n++
		if !fn(next) {
			return n, true
		}
	}
	return n, true
}

// next moves c to org's next commit after c.after up to published and
// returns it: nil when there is none (c is then past published), ok false
// when a commit the cursor had not reached left the window. A watcher
// calls it in a loop of its own, so that each commit it reads costs it a
// few loads and no call through a func value.
func (w *changeWindow) next(c *windowCursor, published uint64) (*orgPart, bool) {
	if p := c.step(published); p != nil {
		return p, true
	}
	next, ok := w.following(c, published)
	if !ok {
		return nil, false
	}
	if next == nil {
		c.after = max(c.after, published)
		return nil, true
	}
	c.after, c.last = next.rev, next
	return next, true
}

// step is next's way for a cursor that keeps up, small enough to inline
// into a watcher's loop: it moves c to the part linked after its last one
// and returns it, when that part is published; nil means "call next".
func (c *windowCursor) step(published uint64) *orgPart {
	if c.last == nil {
		return nil
	}
	p := c.last.next.Load()
	if p == nil || p.rev > published {
		return nil
	}
	c.after, c.last = p.rev, p
	return p
}

// following returns the part after c's place, nil when there is none up to
// published.
func (w *changeWindow) following(c *windowCursor, published uint64) (*orgPart, bool) {
	if c.last != nil {
		// next before evicted: cut stores them the other way round, so a
		// nil next of an evicted part is never taken for the end.
		next := c.last.next.Load()
		if next == nil && c.last.evicted.Load() {
			c.last = nil // its place left the window: seek it
		} else if next == nil || next.rev > published {
			return nil, true
		} else {
			return next, true
		}
	}
	if w.quiet(c.org, c.after, published) {
		return nil, true
	}
	prev, next, ok := w.seek(c.org, c.after, published)
	if !ok {
		return nil, false
	}
	c.last = prev
	if next == nil || next.rev > published {
		return nil, true
	}
	return next, true
}

// splitByOrg cuts cs, committed at at, into what it did to each
// organisation, in the order each organisation first appears, packing the
// large parts (see packedChanges). Job rows are left out: they are the
// engine's bookkeeping, not access. A commit of one organisation (all but
// expiry sweeps) shares the change set's slices.
func splitByOrg(cs store.ChangeSet, at time.Time) []orgPart {
	parts := splitParts(cs, at)
	for i := range parts {
		p := &parts[i]
		if len(p.grants)+len(p.memberships)+len(p.links) > sharedChangeItems {
			p.packed = packChanges(p.grants, p.memberships, p.links)
			p.grants, p.memberships, p.links = nil, nil, nil
		}
	}
	return parts
}

// splitParts is splitByOrg without the packing.
func splitParts(cs store.ChangeSet, at time.Time) []orgPart {
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
		return []orgPart{{org: org, rev: cs.Revision, at: at, grants: cs.Grants, memberships: cs.Memberships, links: cs.Links}}
	}
	var parts []orgPart
	index := make(map[string]int)
	part := func(org string) *orgPart {
		i, ok := index[org]
		if !ok {
			i = len(parts)
			index[org] = i
			parts = append(parts, orgPart{org: org, rev: cs.Revision, at: at})
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
