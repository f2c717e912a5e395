package model

import (
	"encoding/json"
	"time"
)

// GrantInput is what a caller supplies to create a grant.
type GrantInput struct {
	Entity  EntityRef
	Grantee Subject
	Level   Level
	// Effect is allow (the zero value) or deny: a deny at Level takes Level
	// and every level above it away from everyone the grant reaches.
	Effect    Effect
	GrantedBy string
	// EffectiveFrom is when the grant starts to give access; zero means no
	// lower bound.
	EffectiveFrom time.Time
	// EffectiveTo is when the grant stops giving access (the window is
	// [EffectiveFrom, EffectiveTo)); zero means no upper bound. Once it has
	// passed, the grant behaves as revoked everywhere.
	EffectiveTo time.Time
}

// Grant is a stored access grant. Its JSON is the flat snake_case object of
// the Aitronos access-control API; effective_from and effective_to appear only
// when set. All times are UTC.
type Grant struct {
	// ID is assigned by the engine when the grant is created, never reused;
	// ids sort by creation.
	ID string
	// Org is the organisation the grant belongs to.
	Org     string
	Entity  EntityRef
	Grantee Subject
	// Level is read, write or admin, never LevelNone.
	Level Level
	// Effect is allow or deny, as in GrantInput. The JSON carries "effect"
	// only for a deny, so that an allow is exactly the Aitronos object.
	Effect Effect
	// GrantedBy names who granted it: the input's GrantedBy (may be empty),
	// or the RequestedBy of the job that created it.
	GrantedBy string
	// EffectiveFrom and EffectiveTo are the window, as in GrantInput.
	EffectiveFrom time.Time
	EffectiveTo   time.Time
	// CreatedAt is when the grant was created, UpdatedAt when it last
	// changed (CreatedAt until then), both by the engine's clock.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ActiveAt reports whether the grant gives access at t: EffectiveFrom <= t <
// EffectiveTo, zero bounds open.
func (g *Grant) ActiveAt(t time.Time) bool {
	if !g.EffectiveFrom.IsZero() && t.Before(g.EffectiveFrom) {
		return false
	}
	return !g.EndedAt(t)
}

// EndedAt reports whether the grant's window has ended at t, after which it
// behaves as revoked.
func (g *Grant) EndedAt(t time.Time) bool {
	return !g.EffectiveTo.IsZero() && !t.Before(g.EffectiveTo)
}

// grantJSON is the wire shape of a Grant.
type grantJSON struct {
	ID            string     `json:"id"`
	EntityType    string     `json:"entity_type"`
	EntityID      string     `json:"entity_id"`
	GranteeType   string     `json:"grantee_type"`
	GranteeID     string     `json:"grantee_id"`
	AccessLevel   Level      `json:"access_level"`
	Effect        *Effect    `json:"effect,omitempty"`
	GrantedBy     string     `json:"granted_by"`
	Org           string     `json:"organization_id"`
	EffectiveFrom *time.Time `json:"effective_from,omitempty"`
	EffectiveTo   *time.Time `json:"effective_to,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// MarshalJSON writes the Aitronos grant object.
func (g Grant) MarshalJSON() ([]byte, error) {
	w := grantJSON{
		ID:          g.ID,
		EntityType:  g.Entity.Type,
		EntityID:    g.Entity.ID,
		GranteeType: string(g.Grantee.Type),
		GranteeID:   g.Grantee.ID,
		AccessLevel: g.Level,
		GrantedBy:   g.GrantedBy,
		Org:         g.Org,
		CreatedAt:   g.CreatedAt.UTC(),
		UpdatedAt:   g.UpdatedAt.UTC(),
	}
	if g.Effect != EffectAllow {
		w.Effect = &g.Effect
	}
	if !g.EffectiveFrom.IsZero() {
		t := g.EffectiveFrom.UTC()
		w.EffectiveFrom = &t
	}
	if !g.EffectiveTo.IsZero() {
		t := g.EffectiveTo.UTC()
		w.EffectiveTo = &t
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the Aitronos grant object.
func (g *Grant) UnmarshalJSON(b []byte) error {
	var w grantJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := Grant{
		ID:        w.ID,
		Org:       w.Org,
		Entity:    EntityRef{Type: w.EntityType, ID: w.EntityID},
		Grantee:   Subject{Type: SubjectType(w.GranteeType), ID: w.GranteeID},
		Level:     w.AccessLevel,
		GrantedBy: w.GrantedBy,
	}
	if w.Effect != nil {
		out.Effect = *w.Effect
	}
	if w.EffectiveFrom == nil {
		w.EffectiveFrom = &time.Time{}
	}
	if w.EffectiveTo == nil {
		w.EffectiveTo = &time.Time{}
	}
	for _, t := range []struct {
		field string
		in    time.Time
		out   *time.Time
	}{
		{"created_at", w.CreatedAt, &out.CreatedAt},
		{"updated_at", w.UpdatedAt, &out.UpdatedAt},
		{FieldEffectiveFrom, *w.EffectiveFrom, &out.EffectiveFrom},
		{FieldEffectiveTo, *w.EffectiveTo, &out.EffectiveTo},
	} {
		u := t.in.UTC()
		// An offset can carry a time out of the years JSON can write
		// ("0000-01-01T00:00:00+01:00" is year -1 in UTC); refuse it here so
		// that every grant that decodes also encodes.
		if y := u.Year(); y < 0 || y > 9999 {
			return validationf(t.field, "%s must be within the years 0000 to 9999 in UTC", t.field)
		}
		*t.out = u
	}
	*g = out
	return nil
}

// GrantQuery selects grants for ListGrants. Zero fields match everything; an
// Entity with only Type set matches every entity of that type, and a Grantee
// with only Type set every grantee of that type.
type GrantQuery struct {
	Entity   EntityRef
	Grantee  Subject
	MinLevel Level
	// Limit is the page size: 0 means DefaultPageSize, more than MaxPageSize
	// is taken as MaxPageSize.
	Limit int
	// Cursor is a NextCursor from an earlier page of the same query.
	Cursor string
}

// Page sizes of ListGrants.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// GrantPage is one page of ListGrants. NextCursor is empty exactly when no
// grant follows.
type GrantPage struct {
	Grants     []Grant `json:"grants"`
	NextCursor string  `json:"next_cursor,omitempty"`
}
