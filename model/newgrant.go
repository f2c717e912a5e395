package model

import "time"

// NewGrant is the stored form of a validated input: the one way a grant is
// built, for single writes, batches and jobs alike. The grant gets id, org
// and in's entity, grantee, level, effect and granter; its window is in's, in UTC;
// it is created and updated at now. It validates nothing: callers check in
// first (Validator.Grant).
func NewGrant(id, org string, in GrantInput, now time.Time) Grant {
	return Grant{
		ID:            id,
		Org:           org,
		Entity:        in.Entity,
		Grantee:       in.Grantee,
		Level:         in.Level,
		Effect:        in.Effect,
		GrantedBy:     in.GrantedBy,
		EffectiveFrom: UTC(in.EffectiveFrom),
		EffectiveTo:   UTC(in.EffectiveTo),
		CreatedAt:     now,
		UpdatedAt:     now,
	}
}

// UTC returns t in UTC, keeping the zero time zero (time.Time{}.UTC() is not
// time.Time{} when t carries a location).
func UTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// DuplicateGrantError is the ErrDuplicate of a write whose (entity, grantee,
// effect) already has the live grant existing, naming it.
func DuplicateGrantError(existing Grant) *Error {
	kind := "a grant"
	if existing.Effect == EffectDeny {
		kind = "a deny"
	}
	return NewError(CodeDuplicate, FieldGranteeID,
		"%s already has %s on %s (%s)", existing.Grantee, kind, existing.Entity, existing.ID)
}
