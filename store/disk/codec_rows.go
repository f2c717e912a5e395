package disk

import (
	"github.com/grantdb/grantdb/model"
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
	grantFlagsKnown  = 1<<7 - 1
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

// decode reads one grant into g, reporting whether the change deletes it.
func (c *grantCoder) decode(d *decoder, g *model.Grant) (deleted bool) {
	f := d.byte()
	if f&^grantFlagsKnown != 0 || f&grantHasUpdated != 0 && f&grantSameUpdated != 0 {
		d.fail("bad grant flags %#x", f)
	}
	if c.first && f&grantSameBy != 0 {
		d.fail("first grant repeats a granted_by")
	}
	var fields [grantFields]string
	d.sameFields(c.prev[:], fields[:], c.first)
	id := d.prefixed(c.id)
	level := model.Level(d.byte())
	by := c.by
	if f&grantSameBy == 0 {
		by = d.string()
	}
	*g = model.Grant{
		ID: id, Org: fields[grantFieldOrg],
		Entity:  model.EntityRef{Type: fields[grantFieldEntityType], ID: fields[grantFieldEntityID]},
		Grantee: model.Subject{Type: internType(fields[grantFieldGranteeType]), ID: fields[grantFieldGranteeID]},
		Level:   level, GrantedBy: by,
	}
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
	if d.err != nil {
		return false
	}
	for i, s := range fields {
		if s == "" {
			d.fail("grant %q without %s", id, grantFieldNames[i])
			return false
		}
	}
	if !g.Grantee.Type.Valid() {
		d.fail("grant %q: bad grantee type %q", id, g.Grantee.Type)
		return false
	}
	if id == "" || level < model.LevelRead || level > model.LevelAdmin {
		d.fail("bad grant %q (level %d)", id, level)
		return false
	}
	c.prev, c.id, c.by, c.first = fields, id, by, false
	return f&grantDeleted != 0
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

func (c *membershipCoder) decode(d *decoder) (org string, m model.Membership, deleted bool) {
	f := d.byte()
	if f > 1 {
		d.fail("bad membership flags %#x", f)
	}
	var fields [memberFields]string
	d.sameFields(c.prev[:], fields[:], c.first)
	if d.err != nil {
		return "", model.Membership{}, false
	}
	m = model.Membership{
		Member: model.Subject{Type: internType(fields[memberFieldMemberType]), ID: fields[memberFieldMemberID]},
		Group:  model.Subject{Type: internType(fields[memberFieldGroupType]), ID: fields[memberFieldGroupID]},
	}
	if fields[memberFieldOrg] == "" || m.Member.ID == "" || m.Group.ID == "" ||
		!m.Member.Type.Valid() || !m.Group.Type.IsGroup() {
		d.fail("bad membership %q in %s %s", fields[:], m.Member, m.Group)
		return "", model.Membership{}, false
	}
	c.prev, c.first = fields, false
	return fields[memberFieldOrg], m, f == 1
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

// sameFields reads what encoder.sameFields wrote into fields. The fields
// that differ from prev share one new string, so that a row costs one
// allocation however many of its fields changed.
func (d *decoder) sameFields(prev, fields []string, first bool) {
	same := d.byte()
	if d.err != nil {
		return
	}
	if same>>len(fields) != 0 || first && same != 0 {
		d.fail("bad field mask %#x", same)
		return
	}
	var ends [8]int
	var buf []byte
	for i := range fields {
		if same&(1<<i) != 0 {
			continue
		}
		n := d.uvarint()
		if n > uint64(len(prev[i])) {
			d.fail("shared prefix %d longer than the previous value", n)
			return
		}
		rest := d.bytes()
		if d.err != nil {
			return
		}
		if buf == nil {
			buf = make([]byte, 0, 64)
		}
		buf = append(buf, prev[i][:n]...)
		buf = append(buf, rest...)
		ends[i] = len(buf)
	}
	all := string(buf)
	start := 0
	for i := range fields {
		if same&(1<<i) != 0 {
			fields[i] = prev[i]
			continue
		}
		fields[i] = all[start:ends[i]]
		start = ends[i]
	}
}

// internType returns the package constant equal to t, so decoded rows do not
// each keep their own copy of "user".
func internType(t string) model.SubjectType {
	switch model.SubjectType(t) {
	case model.SubjectUser:
		return model.SubjectUser
	case model.SubjectDepartment:
		return model.SubjectDepartment
	case model.SubjectRole:
		return model.SubjectRole
	}
	return model.SubjectType(t)
}

// readSubject and writeSubject code a subject outside a run.
func writeSubject(e *encoder, s model.Subject) {
	e.string(string(s.Type))
	e.string(s.ID)
}

func readSubject(d *decoder) model.Subject {
	t := d.bytes()
	id := d.string()
	return model.Subject{Type: internType(string(t)), ID: id}
}
