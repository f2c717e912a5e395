package model

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxIDLen is the longest id, in bytes, that grantdb accepts.
const MaxIDLen = 256

// Validator checks inputs against an engine's configuration: the entity types
// it allows. The zero value allows any well-formed entity type. A Validator is
// immutable and safe for concurrent use. Every check here returns nil or a
// *Error with code VALIDATION_ERROR naming the first offending field (the one
// exception is noted on Membership).
type Validator struct {
	types map[string]struct{}
	// oneOf is the seeds' rendering of the allowed set, e.g.
	// "{'knowledge_slice', 'vector_store'}", kept for messages.
	oneOf string
}

// NewValidator returns a Validator that allows exactly the given entity types,
// or any well-formed type when none is given. Each given type must itself be
// well-formed (^[a-z][a-z0-9_]{0,63}$).
func NewValidator(entityTypes ...string) (*Validator, error) {
	v := &Validator{}
	if len(entityTypes) == 0 {
		return v, nil
	}
	v.types = make(map[string]struct{}, len(entityTypes))
	// The message lists the types in the order they were configured, as the
	// seeds list their allowed values ("{'knowledge_slice', 'vector_store',
	// 'assistant'}"), each once.
	quoted := make([]string, 0, len(entityTypes))
	for _, t := range entityTypes {
		if !wellFormedType(t) {
			return nil, validationf(FieldEntityType, "configured entity type %q must match ^[a-z][a-z0-9_]{0,63}$", t)
		}
		if _, dup := v.types[t]; dup {
			continue
		}
		v.types[t] = struct{}{}
		quoted = append(quoted, "'"+t+"'")
	}
	v.oneOf = "{" + strings.Join(quoted, ", ") + "}"
	return v, nil
}

// ID checks one identifier: 1 to MaxIDLen bytes of valid UTF-8 with no control
// characters. field names it in the error.
func ID(field, s string) error {
	switch {
	case s == "":
		return validationf(field, "%s is required", field)
	case len(s) > MaxIDLen:
		return validationf(field, "%s must be at most %d bytes", field, MaxIDLen)
	case !utf8.ValidString(s):
		return validationf(field, "%s must be valid UTF-8", field)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return validationf(field, "%s must not contain control characters", field)
		}
	}
	return nil
}

// Org checks an organisation id.
func (v *Validator) Org(org string) error { return ID(FieldOrg, org) }

// EntityType checks an entity type against the configured set, or against
// ^[a-z][a-z0-9_]{0,63}$ when none is configured.
func (v *Validator) EntityType(t string) error {
	if t == "" {
		return validationf(FieldEntityType, "entity_type is required")
	}
	if v != nil && v.types != nil {
		if _, ok := v.types[t]; !ok {
			return validationf(FieldEntityType, "entity_type must be one of %s", v.oneOf)
		}
		return nil
	}
	if !wellFormedType(t) {
		return validationf(FieldEntityType, "entity_type must match ^[a-z][a-z0-9_]{0,63}$")
	}
	return nil
}

// Entity checks an entity reference: its type and its id.
func (v *Validator) Entity(e EntityRef) error {
	if err := v.EntityType(e.Type); err != nil {
		return err
	}
	return ID(FieldEntityID, e.ID)
}

// Grantee checks the grantee of a grant: a user, a department or a role.
func (v *Validator) Grantee(s Subject) error {
	if !s.Type.Valid() {
		return validationf(FieldGranteeType, "grantee_type must be one of {'user', 'department', 'role'}")
	}
	return ID(FieldGranteeID, s.ID)
}

// GrantLevel checks the level of a grant: read, write or admin.
func GrantLevel(l Level) error {
	if l < LevelRead || l > LevelAdmin {
		return validationf(FieldAccessLevel, "access_level must be one of {'read', 'write', 'admin'}")
	}
	return nil
}

// Window checks an effectiveness window at time now: EffectiveTo, when set,
// must be after EffectiveFrom and not already past.
func Window(from, to, now time.Time) error {
	if to.IsZero() {
		return nil
	}
	if !from.IsZero() && !to.After(from) {
		return validationf(FieldEffectiveTo, "effective_to must be after effective_from")
	}
	if !to.After(now) {
		return validationf(FieldEffectiveTo, "effective_to must be in the future")
	}
	return nil
}

// Grant checks everything a new grant needs, at time now: the entity, the
// grantee, the level, the effect, GrantedBy when set (an id) and the window.
func (v *Validator) Grant(in GrantInput, now time.Time) error {
	if err := v.Entity(in.Entity); err != nil {
		return err
	}
	if err := v.Grantee(in.Grantee); err != nil {
		return err
	}
	if err := GrantLevel(in.Level); err != nil {
		return err
	}
	if err := GrantEffect(in.Effect); err != nil {
		return err
	}
	if in.GrantedBy != "" {
		if err := ID(FieldGrantedBy, in.GrantedBy); err != nil {
			return err
		}
	}
	return Window(in.EffectiveFrom, in.EffectiveTo, now)
}

// Membership checks the shape of a membership: the group is a department or a
// role; the member is a user or a group of the same type; a group is never a
// member of itself (that is a CONFLICT on group_id). Cycles through other
// groups need the stored memberships and are the engine's to find.
func (v *Validator) Membership(m Membership) error {
	if !m.Group.Type.IsGroup() {
		return validationf(FieldGroupType, "group_type must be one of {'department', 'role'}")
	}
	if err := ID(FieldGroupID, m.Group.ID); err != nil {
		return err
	}
	switch m.Member.Type {
	case SubjectUser, m.Group.Type:
	case SubjectDepartment, SubjectRole:
		return validationf(FieldMemberType, "member_type must be 'user' or '%s' for a %s group", m.Group.Type, m.Group.Type)
	default:
		return validationf(FieldMemberType, "member_type must be one of {'user', 'department', 'role'}")
	}
	if err := ID(FieldMemberID, m.Member.ID); err != nil {
		return err
	}
	if m.Member == m.Group {
		return NewError(CodeConflict, FieldGroupID, "a %s cannot be a member of itself", m.Group.Type)
	}
	return nil
}

func wellFormedType(t string) bool {
	if len(t) == 0 || len(t) > 64 || t[0] < 'a' || t[0] > 'z' {
		return false
	}
	for i := 1; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
