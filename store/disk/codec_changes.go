package disk

import (
	"errors"
	"fmt"

	"github.com/grantdb/grantdb/store"
)

// A change set in the compact form:
//
//	version byte (changeSetVersion)
//	revision uvarint
//	sections, each: table tag byte, count uvarint, count items
//	end tag (0)
//
// Sections come in ascending tag order, each at most once, and only when
// non-empty. Adding a table means adding a tag: a reader that meets a tag it
// does not know refuses the record as written by a newer version.

// changeSetVersion is the format version that starts a change set.
const changeSetVersion = FormatVersion

// Table tags, shared by change sets and snapshot records.
const (
	tagEnd         = 0
	tagGrants      = 1
	tagMemberships = 2
	tagJobs        = 3
)

// errUnsupported marks data written by a newer format than this build reads.
var errUnsupported = errors.New("unsupported format")

// appendChangeSet appends the compact form of cs to dst.
func appendChangeSet(dst []byte, cs *store.ChangeSet) []byte {
	e := encoder{b: dst}
	e.byte(changeSetVersion)
	e.uvarint(cs.Revision)
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
	e.byte(tagEnd)
	return e.b
}

// decodeChangeSet reads a change set written by appendChangeSet. Its rows
// are fresh copies, never shared with b.
func decodeChangeSet(b []byte) (store.ChangeSet, error) {
	d := decoder{b: b}
	var cs store.ChangeSet
	if v := d.byte(); d.err == nil && v != changeSetVersion {
		return cs, fmt.Errorf("change set version %d: %w", v, errUnsupported)
	}
	cs.Revision = d.uvarint()
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
		default:
			return store.ChangeSet{}, fmt.Errorf("table tag %d: %w", tag, errUnsupported)
		}
	}
	d.end()
	if d.err != nil {
		return store.ChangeSet{}, fmt.Errorf("change set: %w", d.err)
	}
	return cs, nil
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

func decodeMembershipChanges(d *decoder) []store.MembershipChange {
	return decodeMembershipRun(d, nonEmpty(d, d.count(minMembershipBytes)))
}

// The fewest bytes a row takes, for refusing a count no record can hold:
// a grant's flags, same mask, id (two varints at least) and level;
// a membership's flags and same mask.
const (
	minGrantBytes      = 5
	minMembershipBytes = 2
)

// nonEmpty refuses a section of no rows, which the encoder never writes, so
// that a change set has one encoding.
func nonEmpty(d *decoder, n int) int {
	if n == 0 {
		d.fail("empty section")
	}
	return n
}
