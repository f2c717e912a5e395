package store

import (
	"github.com/grantdb/grantdb/model"
)

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

// grantCoder encodes or decodes a run of grants, each against the one before
// it: the key and id are prefix-compressed, and a repeated granted_by costs
// nothing.
type grantCoder struct {
	key, id, by string
	first       bool
}

func newGrantCoder() grantCoder { return grantCoder{first: true} }

// encode writes g, stored under key (its grantKey).
func (c *grantCoder) encode(e *encoder, key string, g *model.Grant, deleted bool) {
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
	e.byte(f)
	e.prefixed(c.key, key)
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
	c.key, c.id, c.by, c.first = key, g.ID, g.GrantedBy, false
}

// decode reads one grant into g, returning its key; g's key fields point
// into the key, so that one allocation holds them.
func (c *grantCoder) decode(d *decoder, g *model.Grant) (key string, deleted bool) {
	f := d.byte()
	if f&^grantFlagsKnown != 0 || f&grantHasUpdated != 0 && f&grantSameUpdated != 0 {
		d.fail("bad grant flags %#x", f)
	}
	if c.first && f&grantSameBy != 0 {
		d.fail("first grant repeats a granted_by")
	}
	key = d.prefixed(c.key)
	id := d.prefixed(c.id)
	level := model.Level(d.byte())
	by := c.by
	if f&grantSameBy == 0 {
		by = d.string()
	}
	*g = model.Grant{ID: id, Level: level, GrantedBy: by}
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
		return "", false
	}
	var k [5]string
	if !splitKeyFields(key, k[:]) || !model.SubjectType(k[3]).Valid() {
		d.fail("bad grant key %q", key)
		return "", false
	}
	if id == "" || level < model.LevelRead || level > model.LevelAdmin {
		d.fail("bad grant %q (level %d)", id, level)
		return "", false
	}
	g.Org = k[0]
	g.Entity = model.EntityRef{Type: k[1], ID: k[2]}
	g.Grantee = model.Subject{Type: internType(k[3]), ID: k[4]}
	c.key, c.id, c.by, c.first = key, id, by, false
	return key, f&grantDeleted != 0
}

// membershipCoder prefix-compresses a run of memberships by key.
type membershipCoder struct{ key string }

func (c *membershipCoder) encode(e *encoder, key string, deleted bool) {
	var f byte
	if deleted {
		f = 1
	}
	e.byte(f)
	e.prefixed(c.key, key)
	c.key = key
}

// decode reads one membership; its strings point into the returned key.
func (c *membershipCoder) decode(d *decoder) (key, org string, m model.Membership, deleted bool) {
	f := d.byte()
	if f > 1 {
		d.fail("bad membership flags %#x", f)
	}
	key = d.prefixed(c.key)
	if d.err != nil {
		return "", "", model.Membership{}, false
	}
	var k [5]string
	if !splitKeyFields(key, k[:]) || !model.SubjectType(k[1]).Valid() || !model.SubjectType(k[3]).IsGroup() {
		d.fail("bad membership key %q", key)
		return "", "", model.Membership{}, false
	}
	m = model.Membership{
		Member: model.Subject{Type: internType(k[1]), ID: k[2]},
		Group:  model.Subject{Type: internType(k[3]), ID: k[4]},
	}
	c.key = key
	return key, k[0], m, f == 1
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

// readSubject and writeSubject code a subject outside a key.
func writeSubject(e *encoder, s model.Subject) {
	e.string(string(s.Type))
	e.string(s.ID)
}

func readSubject(d *decoder) model.Subject {
	t := d.bytes()
	id := d.string()
	return model.Subject{Type: internType(string(t)), ID: id}
}
