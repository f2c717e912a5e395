package disk

import (
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Grant and membership rows in the compact form (doc.go has the layout).
// Each row is coded against the row before it in the same record, field by
// field: a field equal to the previous row's costs one bit of the row's
// "same" byte, any other is written as the length it shares with the
// previous row's value of that field, then the rest. Nothing here depends on
// how package store keys its rows.

// Grant flags: which optional parts follow, and whether the change deletes.
const (
	grantDeleted     = 1 << 0
	grantHasFrom     = 1 << 1
	grantHasTo       = 1 << 2
	grantHasCreated  = 1 << 3
	grantHasUpdated  = 1 << 4 // updated differs from created
	grantSameUpdated = 1 << 5 // updated equals created
	grantSameBy      = 1 << 6 // granted_by as the previous grant's
	grantDeny        = 1 << 7 // the effect is deny (format 3 on)
	// grantFlagsV2 are the flags format version 2 knew: bit 7 was zero.
	grantFlagsV2 = 1<<7 - 1
)

// Fields of a grant's "same" byte, in the order they are written.
const (
	grantFieldOrg = iota
	grantFieldEntityType
	grantFieldEntityID
	grantFieldGranteeType
	grantFieldGranteeID
	grantFields
)

// grantCoder encodes or decodes a run of grants, each against the one before
// it.
type grantCoder struct {
	prev  [grantFields]string
	id    string
	by    string
	first bool
}

func newGrantCoder() grantCoder { return grantCoder{first: true} }

func grantFieldsOf(g *model.Grant) [grantFields]string {
	return [grantFields]string{g.Org, g.Entity.Type, g.Entity.ID, string(g.Grantee.Type), g.Grantee.ID}
}

// encode writes g; deleted marks a change that deletes it.
func (c *grantCoder) encode(e *encoder, g *model.Grant, deleted bool) {
	var f byte
	if deleted {
		f |= grantDeleted
	}
	if !g.EffectiveFrom.IsZero() {
		f |= grantHasFrom
	}
	if !g.EffectiveTo.IsZero() {
		f |= grantHasTo
	}
	if !g.CreatedAt.IsZero() {
		f |= grantHasCreated
	}
	switch {
	case g.UpdatedAt.IsZero():
	case f&grantHasCreated != 0 && g.UpdatedAt.Equal(g.CreatedAt):
		f |= grantSameUpdated
	default:
		f |= grantHasUpdated
	}
	if !c.first && g.GrantedBy == c.by {
		f |= grantSameBy
	}
	if g.Effect == model.EffectDeny {
		f |= grantDeny
	}
	fields := grantFieldsOf(g)
	e.byte(f)
	e.sameFields(c.prev[:], fields[:], c.first)
	e.prefixed(c.id, g.ID)
	e.byte(byte(g.Level))
	if f&grantSameBy == 0 {
		e.string(g.GrantedBy)
	}
	if f&grantHasFrom != 0 {
		e.instant(g.EffectiveFrom)
	}
	if f&grantHasTo != 0 {
		e.instant(g.EffectiveTo)
	}
	if f&grantHasCreated != 0 {
		e.instant(g.CreatedAt)
	}
	if f&grantHasUpdated != 0 {
		e.instant(g.UpdatedAt)
	}
	c.prev, c.id, c.by, c.first = fields, g.ID, g.GrantedBy, false
}

// decodeGrantRun reads a run of n grants, and whether each change deletes
// its grant. The fields of the whole run share one string.
func decodeGrantRun(d *decoder, n int) ([]model.Grant, []bool) {
	return decodeGrantRunInto(d, n, nil)
}

// decodeGrantRunInto is decodeGrantRun decoding into spare's array when it
// has room (a loader hands back the batches it has copied from).
func decodeGrantRunInto(d *decoder, n int, spare []model.Grant) ([]model.Grant, []bool) {
	var grants []model.Grant
	if cap(spare) >= n {
		grants = spare[:n]
		clear(grants)
	} else {
		grants = make([]model.Grant, n)
	}
	deleted := make([]bool, n)
	run := fieldRun{offs: make([][runFields][2]int32, n)}
	var id, by string
	for i := 0; i < n && d.err == nil; i++ {
		g := &grants[i]
		f := d.byte()
		if !d.v3() && f&^grantFlagsV2 != 0 || f&grantHasUpdated != 0 && f&grantSameUpdated != 0 {
			d.fail("bad grant flags %#x", f)
		}
		if f&grantDeny != 0 {
			g.Effect = model.EffectDeny
		}
		if i == 0 && f&grantSameBy != 0 {
			d.fail("first grant repeats a granted_by")
		}
		run.row(d, i)
		id = d.prefixed(id)
		g.ID = id
		g.Level = model.Level(d.byte())
		if f&grantSameBy == 0 {
			by = d.string()
		}
		g.GrantedBy = by
		if f&grantHasFrom != 0 {
			g.EffectiveFrom = d.instant()
		}
		if f&grantHasTo != 0 {
			g.EffectiveTo = d.instant()
		}
		if f&grantHasCreated != 0 {
			g.CreatedAt = d.instant()
		}
		switch {
		case f&grantHasUpdated != 0:
			g.UpdatedAt = d.instant()
		case f&grantSameUpdated != 0:
			g.UpdatedAt = g.CreatedAt
		}
		if d.err == nil && (id == "" || g.Level < model.LevelRead || g.Level > model.LevelAdmin) {
			d.fail("bad grant %q (level %d)", id, g.Level)
		}
		deleted[i] = f&grantDeleted != 0
	}
	if d.err != nil {
		return nil, nil
	}
	run.resolve(func(i int, f *[runFields]string) {
		g := &grants[i]
		for k, v := range f {
			if v == "" {
				d.fail("grant %q without %s", g.ID, grantFieldNames[k])
				return
			}
		}
		g.Org = f[grantFieldOrg]
		g.Entity = model.EntityRef{Type: f[grantFieldEntityType], ID: f[grantFieldEntityID]}
		g.Grantee = model.Subject{Type: model.InternSubjectType(f[grantFieldGranteeType]), ID: f[grantFieldGranteeID]}
		if !g.Grantee.Type.Valid() {
			d.fail("grant %q: bad grantee type %q", g.ID, g.Grantee.Type)
		}
	})
	return grants, deleted
}

var grantFieldNames = [grantFields]string{"organisation", "entity type", "entity id", "grantee type", "grantee id"}

// Fields of a membership's "same" byte, in the order they are written.
const (
	memberFieldOrg = iota
	memberFieldMemberType
	memberFieldMemberID
	memberFieldGroupType
	memberFieldGroupID
	memberFields
)

// membershipCoder codes a run of memberships, each against the one before.
type membershipCoder struct {
	prev  [memberFields]string
	first bool
}

func newMembershipCoder() membershipCoder { return membershipCoder{first: true} }

func (c *membershipCoder) encode(e *encoder, org string, m model.Membership, deleted bool) {
	var f byte
	if deleted {
		f = 1
	}
	fields := [memberFields]string{org, string(m.Member.Type), m.Member.ID, string(m.Group.Type), m.Group.ID}
	e.byte(f)
	e.sameFields(c.prev[:], fields[:], c.first)
	c.prev, c.first = fields, false
}

// decodeMembershipRun reads a run of n memberships. The fields of the whole
// run share one string.
func decodeMembershipRun(d *decoder, n int) []store.MembershipChange {
	out := make([]store.MembershipChange, n)
	run := fieldRun{offs: make([][runFields][2]int32, n)}
	for i := 0; i < n && d.err == nil; i++ {
		f := d.byte()
		if f > 1 {
			d.fail("bad membership flags %#x", f)
		}
		out[i].Deleted = f == 1
		run.row(d, i)
	}
	if d.err != nil {
		return nil
	}
	run.resolve(func(i int, f *[runFields]string) {
		m := model.Membership{
			Member: model.Subject{Type: model.InternSubjectType(f[memberFieldMemberType]), ID: f[memberFieldMemberID]},
			Group:  model.Subject{Type: model.InternSubjectType(f[memberFieldGroupType]), ID: f[memberFieldGroupID]},
		}
		if f[memberFieldOrg] == "" || m.Member.ID == "" || m.Group.ID == "" ||
			!m.Member.Type.Valid() || !m.Group.Type.IsGroup() {
			d.fail("bad membership %s in %s in %q", m.Member, m.Group, f[memberFieldOrg])
			return
		}
		out[i].Org, out[i].Membership = f[memberFieldOrg], m
	})
	return out
}

// Fields of a link's "same" byte, in the order they are written.
const (
	linkFieldOrg = iota
	linkFieldChildType
	linkFieldChildID
	linkFieldParentType
	linkFieldParentID
	linkFields
)

// linkCoder codes a run of entity links, each against the one before.
type linkCoder struct {
	prev  [linkFields]string
	first bool
}

func newLinkCoder() linkCoder { return linkCoder{first: true} }

func (c *linkCoder) encode(e *encoder, org string, l model.EntityLink, deleted bool) {
	var f byte
	if deleted {
		f = 1
	}
	fields := [linkFields]string{org, l.Child.Type, l.Child.ID, l.Parent.Type, l.Parent.ID}
	e.byte(f)
	e.sameFields(c.prev[:], fields[:], c.first)
	c.prev, c.first = fields, false
}

// decodeLinkRun reads a run of n entity links. The fields of the whole run
// share one string.
func decodeLinkRun(d *decoder, n int) []store.LinkChange {
	out := make([]store.LinkChange, n)
	run := fieldRun{offs: make([][runFields][2]int32, n)}
	for i := 0; i < n && d.err == nil; i++ {
		f := d.byte()
		if f > 1 {
			d.fail("bad link flags %#x", f)
		}
		out[i].Deleted = f == 1
		run.row(d, i)
	}
	if d.err != nil {
		return nil
	}
	run.resolve(func(i int, f *[runFields]string) {
		l := model.EntityLink{
			Child:  model.EntityRef{Type: f[linkFieldChildType], ID: f[linkFieldChildID]},
			Parent: model.EntityRef{Type: f[linkFieldParentType], ID: f[linkFieldParentID]},
		}
		for _, v := range f {
			if v == "" {
				d.fail("bad link %s in %s in %q", l.Child, l.Parent, f[linkFieldOrg])
				return
			}
		}
		if l.Child == l.Parent {
			d.fail("link of %s to itself in %q", l.Child, f[linkFieldOrg])
			return
		}
		out[i].Org, out[i].Link = f[linkFieldOrg], l
	})
	return out
}

// sameFields writes a byte whose bit i says fields[i] equals prev[i]
// (never set for the first row of a run), then each other field prefixed
// against prev[i].
func (e *encoder) sameFields(prev, fields []string, first bool) {
	var same byte
	if !first {
		for i := range fields {
			if fields[i] == prev[i] {
				same |= 1 << i
			}
		}
	}
	e.byte(same)
	for i := range fields {
		if same&(1<<i) == 0 {
			e.prefixed(prev[i], fields[i])
		}
	}
}

// runFields is how many key fields a grant, membership or link row has.
const runFields = 5

// fieldRun decodes the key fields of a run of rows (what encoder.sameFields
// wrote) into one buffer, recording where each row's fields are, so that
// the whole run costs one string allocation (resolve) rather than one per
// row.
type fieldRun struct {
	buf  []byte
	offs [][runFields][2]int32 // per row, per field: start and end in buf
}

// row reads the fields of row i, against row i-1's.
func (r *fieldRun) row(d *decoder, i int) {
	same := d.byte()
	if d.err != nil {
		return
	}
	if same>>runFields != 0 || i == 0 && same != 0 {
		d.fail("bad field mask %#x", same)
		return
	}
	var prev [runFields][2]int32
	if i > 0 {
		prev = r.offs[i-1]
	}
	for k := range runFields {
		if same&(1<<k) != 0 {
			r.offs[i][k] = prev[k]
			continue
		}
		n := d.uvarint()
		if n > uint64(prev[k][1]-prev[k][0]) {
			d.fail("shared prefix %d longer than the previous value", n)
			return
		}
		rest := d.bytes()
		if d.err != nil {
			return
		}
		if len(r.buf)+int(n)+len(rest) > 1<<31-1 {
			d.fail("fields too long")
			return
		}
		start := len(r.buf)
		r.buf = append(r.buf, r.buf[prev[k][0]:prev[k][0]+int32(n)]...)
		r.buf = append(r.buf, rest...)
		r.offs[i][k] = [2]int32{int32(start), int32(len(r.buf))}
	}
}

// resolve calls fn with each row's fields, all substrings of one string.
func (r *fieldRun) resolve(fn func(i int, f *[runFields]string)) {
	all := string(r.buf)
	for i := range r.offs {
		var f [runFields]string
		for k, o := range r.offs[i] {
			f[k] = all[o[0]:o[1]]
		}
		fn(i, &f)
	}
}

// readSubject and writeSubject code a subject outside a run.
func writeSubject(e *encoder, s model.Subject) {
	e.string(string(s.Type))
	e.string(s.ID)
}

func readSubject(d *decoder) model.Subject {
	t := d.bytes()
	id := d.string()
	return model.Subject{Type: model.InternSubjectType(string(t)), ID: id}
}
