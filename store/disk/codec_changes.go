package disk

import (
	"errors"
	"fmt"
	"time"

	"github.com/grantdb/grantdb/store"
)

// A change set in the compact form:
//
//	version byte (changeSetVersion)
//	revision uvarint
//	commit time instant (format 3 on)
//	sections, each: table tag byte, count uvarint, count items (the
//	replaced section: count indexes, then count grant rows)
//	end tag (0)
//
// Sections come in ascending tag order, each at most once, and only when
// non-empty. Adding a table means adding a tag: a reader that meets a tag it
// does not know refuses the record as written by a newer version.

// changeSetVersion is the format version that starts a change set this
// package writes; minChangeSetVersion the oldest it reads (by that
// version's rules: no commit time, no effects, no links).
const (
	changeSetVersion    = FormatVersion
	minChangeSetVersion = 2
	// replacedVersion is the first version whose change sets record the
	// grants writes replaced with another id (tagReplaced).
	replacedVersion = 3
)

// Table tags, shared by change sets and snapshot records.
const (
	tagEnd         = 0
	tagGrants      = 1
	tagMemberships = 2
	tagJobs        = 3
	tagLinks       = 4 // format 3 on
	// tagReplaced is a change set's grants replaced, under their key, by a
	// write of another id (format 3 on); never in a snapshot.
	tagReplaced = 5
)

// errUnsupported marks data written by a newer format than this build reads.
var errUnsupported = errors.New("unsupported format")

// appendChangeSet appends the compact form of cs, committed at at, to dst.
func appendChangeSet(dst []byte, cs *store.ChangeSet, at time.Time) []byte {
	e := encoder{b: dst}
	e.byte(changeSetVersion)
	e.uvarint(cs.Revision)
	e.instant(at)
	if len(cs.Grants) > 0 {
		e.byte(tagGrants)
		e.uvarint(uint64(len(cs.Grants)))
		c := newGrantCoder()
		for _, gc := range cs.Grants {
			c.encode(&e, gc.Grant, gc.Deleted)
		}
	}
	if len(cs.Memberships) > 0 {
		e.byte(tagMemberships)
		e.uvarint(uint64(len(cs.Memberships)))
		c := newMembershipCoder()
		for _, mc := range cs.Memberships {
			c.encode(&e, mc.Org, mc.Membership, mc.Deleted)
		}
	}
	if len(cs.Jobs) > 0 {
		e.byte(tagJobs)
		e.uvarint(uint64(len(cs.Jobs)))
		for _, jc := range cs.Jobs {
			encodeJobChange(&e, jc)
		}
	}
	if len(cs.Links) > 0 {
		e.byte(tagLinks)
		e.uvarint(uint64(len(cs.Links)))
		c := newLinkCoder()
		for _, lc := range cs.Links {
			c.encode(&e, lc.Org, lc.Link, lc.Deleted)
		}
	}
	appendReplaced(&e, cs.Grants)
	e.byte(tagEnd)
	return e.b
}

// decodeChangeSet reads a change set written by appendChangeSet, and its
// commit time (zero for a version 2 change set, which has none). Its rows
// are fresh copies, never shared with b.
func decodeChangeSet(b []byte) (store.ChangeSet, time.Time, error) {
	d := decoder{b: b}
	var cs store.ChangeSet
	var at time.Time
	v := d.byte()
	if d.err == nil && (v < minChangeSetVersion || v > changeSetVersion) {
		return cs, at, fmt.Errorf("change set version %d: %w", v, errUnsupported)
	}
	d.version = v
	cs.Revision = d.uvarint()
	if d.v3() {
		at = d.instant()
	}
	last := byte(tagEnd)
	for d.err == nil {
		tag := d.byte()
		if tag == tagEnd || d.err != nil {
			break
		}
		if tag <= last {
			d.fail("section %d after section %d", tag, last)
			break
		}
		last = tag
		switch tag {
		case tagGrants:
			cs.Grants = decodeGrantChanges(&d)
		case tagMemberships:
			cs.Memberships = decodeMembershipChanges(&d)
		case tagJobs:
			n := nonEmpty(&d, d.count(2))
			cs.Jobs = make([]store.JobChange, 0, n)
			for range n {
				cs.Jobs = append(cs.Jobs, decodeJobChange(&d))
			}
		case tagLinks:
			if !d.v3() {
				return store.ChangeSet{}, time.Time{}, fmt.Errorf("table tag %d in a version %d change set: %w", tag, v, errUnsupported)
			}
			cs.Links = decodeLinkRun(&d, nonEmpty(&d, d.count(minLinkBytes)))
		case tagReplaced:
			if !d.v3() {
				return store.ChangeSet{}, time.Time{}, fmt.Errorf("table tag %d in a version %d change set: %w", tag, v, errUnsupported)
			}
			decodeReplaced(&d, cs.Grants)
		default:
			return store.ChangeSet{}, time.Time{}, fmt.Errorf("table tag %d: %w", tag, errUnsupported)
		}
	}
	d.end()
	if d.err != nil {
		return store.ChangeSet{}, time.Time{}, fmt.Errorf("change set: %w", d.err)
	}
	return cs, at, nil
}

func decodeGrantChanges(d *decoder) []store.GrantChange {
	n := nonEmpty(d, d.count(minGrantBytes))
	grants, deleted := decodeGrantRun(d, n)
	if d.err != nil {
		return nil
	}
	changes := make([]store.GrantChange, n)
	for i := range grants {
		changes[i] = store.GrantChange{Deleted: deleted[i], Grant: &grants[i]}
	}
	return changes
}

// appendReplaced writes the replaced section of changes, when any write
// replaced, under its key, a grant of another id: what a change feed shows
// as that id's delete. A replaced row of the same id is left out: the write
// supersedes it in the feed anyway. The section is the count n, the indexes
// of the n writes in the grant section (ascending), then the n replaced
// rows, one run.
func appendReplaced(e *encoder, changes []store.GrantChange) {
	var at []int
	for i, gc := range changes {
		if replacesOtherID(gc) {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return
	}
	e.byte(tagReplaced)
	e.uvarint(uint64(len(at)))
	for _, i := range at {
		e.uvarint(uint64(i))
	}
	c := newGrantCoder()
	for _, i := range at {
		c.encode(e, changes[i].Replaced, false)
	}
}

func replacesOtherID(gc store.GrantChange) bool {
	return !gc.Deleted && gc.Replaced != nil && gc.Replaced.ID != gc.Grant.ID
}

// decodeReplaced reads a replaced section into the Replaced rows of changes
// (the change set's grant section, read before it). Each index names a
// write, after the previous index; each row has its write's key (and no
// deleted flag) and another id.
func decodeReplaced(d *decoder, changes []store.GrantChange) {
	n := nonEmpty(d, d.count(minReplacedBytes))
	if d.err == nil && n > len(changes) {
		d.fail("%d replaced grants for %d grant changes", n, len(changes))
	}
	if d.err != nil {
		return
	}
	at := make([]int, n)
	for k := range at {
		i := d.uvarint()
		if d.err == nil && (i >= uint64(len(changes)) || k > 0 && int(i) <= at[k-1] || changes[i].Deleted) {
			d.fail("replaced grant at grant change %d", i)
		}
		if d.err != nil {
			return
		}
		at[k] = int(i)
	}
	rows, deleted := decodeGrantRun(d, n)
	for k, i := range at {
		if d.err != nil {
			return
		}
		g, r := changes[i].Grant, &rows[k]
		if deleted[k] || r.ID == g.ID || r.Org != g.Org || r.Entity != g.Entity || r.Grantee != g.Grantee || r.Effect != g.Effect {
			d.fail("grant %q does not replace %q under its key", g.ID, r.ID)
			return
		}
		changes[i].Replaced = r
	}
}

func decodeMembershipChanges(d *decoder) []store.MembershipChange {
	return decodeMembershipRun(d, nonEmpty(d, d.count(minMembershipBytes)))
}

// The fewest bytes a row takes, for refusing a count no record can hold:
// a grant's flags, same mask, id (two varints at least) and level;
// a membership's or a link's flags and same mask; a replaced grant's index
// and row.
const (
	minReplacedBytes   = 1 + minGrantBytes
	minGrantBytes      = 5
	minMembershipBytes = 2
	minLinkBytes       = 2
)

// nonEmpty refuses a section of no rows, which the encoder never writes, so
// that a change set has one encoding.
func nonEmpty(d *decoder, n int) int {
	if n == 0 {
		d.fail("empty section")
	}
	return n
}
