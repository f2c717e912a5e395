package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// The Aitronos access-control API. Its page documents only create; the other
// calls follow its conventions (snake_case, the grant object, the error
// envelope), as README.md lists.

// grantBody is the request body of create, and an item of bulk create.
// granted_by, effective_from and effective_to are optional additions: the
// grant object carries them, the documented request does not. effect,
// "allow" (the default) or "deny", is an addition too.
type grantBody struct {
	EntityType    string `json:"entity_type"`
	EntityID      string `json:"entity_id"`
	GranteeType   string `json:"grantee_type"`
	GranteeID     string `json:"grantee_id"`
	AccessLevel   string `json:"access_level"`
	Effect        string `json:"effect"`
	GrantedBy     string `json:"granted_by"`
	EffectiveFrom string `json:"effective_from"`
	EffectiveTo   string `json:"effective_to"`
}

// input turns the body into an engine input. prefix names the body in field
// names of errors ("" for create, "grants[3]." for a bulk item).
func (b grantBody) input(c *call, prefix string) (model.GrantInput, error) {
	from, err := parseTime(prefix+model.FieldEffectiveFrom, b.EffectiveFrom)
	if err != nil {
		return model.GrantInput{}, err
	}
	to, err := parseTime(prefix+model.FieldEffectiveTo, b.EffectiveTo)
	if err != nil {
		return model.GrantInput{}, err
	}
	by := b.GrantedBy
	if by == "" {
		by = c.principal
	}
	return model.GrantInput{
		Entity:        model.EntityRef{Type: b.EntityType, ID: b.EntityID},
		Grantee:       model.Subject{Type: model.SubjectType(b.GranteeType), ID: b.GranteeID},
		Level:         grantLevel(b.AccessLevel),
		Effect:        grantEffect(b.Effect),
		GrantedBy:     by,
		EffectiveFrom: from,
		EffectiveTo:   to,
	}, nil
}

// grantLevel reads a level word. Anything but read, write or admin becomes
// LevelNone, which the engine refuses in its own order of checks (entity,
// grantee, level), so the first bad field is the one reported.
func grantLevel(s string) model.Level {
	l, err := model.ParseLevel(s)
	if err != nil {
		return model.LevelNone
	}
	return l
}

// badEffect is an effect no grant has: the engine refuses it on field
// effect, after the fields it checks first.
const badEffect = model.EffectDeny + 1

// grantEffect reads an effect word: absent is allow; anything but allow or
// deny becomes badEffect, which the engine refuses in its own order of checks
// (entity, grantee, level, effect), as grantLevel does for levels.
func grantEffect(s string) model.Effect {
	if s == "" {
		return model.EffectAllow
	}
	f, err := model.ParseEffect(s)
	if err != nil {
		return badEffect
	}
	return f
}

func (s *server) orgOf(r *http.Request, c *call) (string, error) {
	org := r.PathValue("organization_id")
	return org, c.allow(org, model.FieldOrg)
}

// createGrant: POST .../access/grants -> 201 and the grant.
func (s *server) createGrant(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	var body grantBody
	if err := decodeJSON(w, r, s.limits.maxBody, &body); err != nil {
		return err
	}
	in, err := body.input(c, "")
	if err != nil {
		return err
	}
	g, err := s.eng.CreateGrant(r.Context(), org, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", r.URL.Path+"/"+g.ID)
	writeJSON(w, http.StatusCreated, g)
	return nil
}

// grantList is a page of grants. next_cursor is null on the last page.
type grantList struct {
	Grants     []model.Grant `json:"grants"`
	NextCursor *string       `json:"next_cursor"`
	HasMore    bool          `json:"has_more"`
}

// listGrants: GET .../access/grants?entity_type&entity_id&grantee_type&
// grantee_id&min_level&limit&cursor.
func (s *server) listGrants(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	return s.writeGrantPage(w, r, org, model.EntityRef{Type: q.Get("entity_type"), ID: q.Get("entity_id")})
}

// entityGrantAliases are the per-entity grant lists the Aitronos page links
// (Slice Grants, Store Grants, Assistant Grants): path segment -> type.
var entityGrantAliases = map[string]string{
	"knowledge-slices": "knowledge_slice",
	"vector-stores":    "vector_store",
	"assistants":       "assistant",
}

// entityGrants lists one entity's grants: GET .../entities/{type}/{id}/grants
// (typ "") or an alias such as GET .../knowledge-slices/{id}/grants.
func (s *server) entityGrants(typ string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		org, err := s.orgOf(r, c)
		if err != nil {
			return err
		}
		entity := model.EntityRef{Type: typ, ID: r.PathValue("entity_id")}
		if typ == "" {
			entity.Type = r.PathValue("entity_type")
		}
		return s.writeGrantPage(w, r, org, entity)
	}
}

func (s *server) writeGrantPage(w http.ResponseWriter, r *http.Request, org string, entity model.EntityRef) error {
	q := r.URL.Query()
	gq := model.GrantQuery{
		Entity:  entity,
		Grantee: model.Subject{Type: model.SubjectType(q.Get("grantee_type")), ID: q.Get("grantee_id")},
		Cursor:  q.Get("cursor"),
	}
	var err error
	if gq.MinLevel, err = minLevel(r); err != nil {
		return err
	}
	if gq.Limit, err = queryInt(r, model.FieldLimit, 0); err != nil {
		return err
	}
	page, err := s.eng.ListGrants(r.Context(), org, gq)
	if err != nil {
		return err
	}
	out := grantList{Grants: page.Grants, HasMore: page.NextCursor != ""}
	if out.Grants == nil {
		out.Grants = []model.Grant{}
	}
	if out.HasMore {
		out.NextCursor = &page.NextCursor
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// minLevel reads the optional min_level query parameter.
func minLevel(r *http.Request) (model.Level, error) {
	s := r.URL.Query().Get("min_level")
	if s == "" {
		return model.LevelNone, nil
	}
	l, err := model.ParseLevel(s)
	if err != nil {
		return 0, invalid("min_level", "min_level must be one of {'read', 'write', 'admin'}")
	}
	return l, nil
}

// getGrant: GET .../access/grants/{grant_id}.
func (s *server) getGrant(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	g, err := s.eng.GetGrant(r.Context(), org, r.PathValue("grant_id"))
	if err != nil {
		return toAPIError(err, grantIDField)
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

// grantIDField names the grant id by its path parameter.
func grantIDField(f string) string {
	if f == model.FieldGrantID {
		return "grant_id"
	}
	return f
}

// updateBody is the body of update: the new level, nothing else.
type updateBody struct {
	AccessLevel string `json:"access_level"`
}

// updateGrant: PATCH .../access/grants/{grant_id} {"access_level": ...}.
func (s *server) updateGrant(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	var body updateBody
	if err := decodeJSON(w, r, s.limits.maxBody, &body); err != nil {
		return err
	}
	level, err := model.ParseLevel(body.AccessLevel)
	if err != nil || level == model.LevelNone {
		return invalid(model.FieldAccessLevel, "access_level must be one of {'read', 'write', 'admin'}")
	}
	g, err := s.eng.UpdateGrant(r.Context(), org, r.PathValue("grant_id"), level)
	if err != nil {
		return toAPIError(err, grantIDField)
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

// revokeGrant: DELETE .../access/grants/{grant_id} -> 204.
func (s *server) revokeGrant(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	if err := s.eng.RevokeGrant(r.Context(), org, r.PathValue("grant_id")); err != nil {
		return toAPIError(err, grantIDField)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pathJSON is one way a grant reaches a user: the grant, the chain of
// subjects from the user to its grantee, and the chain of entities from the
// entity asked about up through its parents to the grant's entity.
type pathJSON struct {
	Grant    model.Grant       `json:"grant"`
	Chain    []model.Subject   `json:"chain"`
	Entities []model.EntityRef `json:"entities"`
}

func pathsJSON(via []resolve.Path) []pathJSON {
	out := make([]pathJSON, len(via))
	for i, p := range via {
		out[i] = pathJSON{Grant: p.Grant, Chain: p.Chain, Entities: p.Entities}
	}
	return out
}

type decisionJSON struct {
	EntityType  string      `json:"entity_type"`
	EntityID    string      `json:"entity_id"`
	AccessLevel model.Level `json:"access_level"`
	Via         []pathJSON  `json:"via"`
	// ViaTotal counts every path; a listing's Via holds at most
	// maxViaPaths of them.
	ViaTotal int `json:"via_total"`
	// Denied are the denies that took a level away, shaped as Via; a
	// listing's holds at most maxViaPaths, DeniedTotal counting them all.
	Denied      []pathJSON `json:"denied"`
	DeniedTotal int        `json:"denied_total"`
}

func decisionOf(d resolve.Decision) decisionJSON {
	return decisionJSON{EntityType: d.Entity.Type, EntityID: d.Entity.ID, AccessLevel: d.Level,
		Via: pathsJSON(d.Via), ViaTotal: len(d.Via), Denied: pathsJSON(d.Denied), DeniedTotal: len(d.Denied)}
}

type resolvedAccessJSON struct {
	OrganizationID string         `json:"organization_id"`
	UserID         string         `json:"user_id"`
	Entities       []decisionJSON `json:"entities"`
	NextCursor     *string        `json:"next_cursor"`
	HasMore        bool           `json:"has_more"`
}

// resolvedAccess: GET .../access/users/{user_id}/resolved-access?entity_type&
// min_level&limit&cursor: a page of the entities the user reaches, with
// level and (at most maxViaPaths) paths.
func (s *server) resolvedAccess(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	minL, err := minLevel(r)
	if err != nil {
		return err
	}
	user, typ := r.PathValue("user_id"), r.URL.Query().Get("entity_type")
	query := []string{"resolved-access", org, user, typ, minL.String()}
	limit, after, err := s.listingPage(r, query...)
	if err != nil {
		return err
	}
	out := resolvedAccessJSON{OrganizationID: org, UserID: user, Entities: []decisionJSON{}}
	err = s.withListingSlot(r.Context(), func() error {
		var from model.EntityRef
		if after != "" {
			from.Type, from.ID, _ = strings.Cut(after, "\x00")
		}
		ds, more, err := s.eng.ResolvedAccessPage(r.Context(), org, user, resolve.Query{EntityType: typ, MinLevel: minL}, from, limit)
		if err != nil {
			return err
		}
		for _, d := range ds {
			dj := decisionJSON{EntityType: d.Entity.Type, EntityID: d.Entity.ID, AccessLevel: d.Level}
			dj.Via, dj.ViaTotal = cappedVia(d.Via)
			dj.Denied, dj.DeniedTotal = cappedVia(d.Denied)
			out.Entities = append(out.Entities, dj)
		}
		if more {
			out.HasMore, out.NextCursor = true, s.nextCursor(entityPosition(ds[len(ds)-1].Entity), query...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type decisionOneJSON struct {
	OrganizationID string `json:"organization_id"`
	UserID         string `json:"user_id"`
	decisionJSON
}

// resolveOne: GET .../access/users/{user_id}/resolved-access/{entity_type}/
// {entity_id}: the user's level on one entity ("none" included) and why,
// every path listed.
func (s *server) resolveOne(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	user := r.PathValue("user_id")
	d, err := s.eng.Resolve(r.Context(), org, user, model.EntityRef{Type: r.PathValue("entity_type"), ID: r.PathValue("entity_id")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, decisionOneJSON{OrganizationID: org, UserID: user, decisionJSON: decisionOf(d)})
	return nil
}

type userAccessJSON struct {
	UserID      string      `json:"user_id"`
	AccessLevel model.Level `json:"access_level"`
	Via         []pathJSON  `json:"via"`
	ViaTotal    int         `json:"via_total"`
	Denied      []pathJSON  `json:"denied"`
	DeniedTotal int         `json:"denied_total"`
}

type usersWithAccessJSON struct {
	OrganizationID string           `json:"organization_id"`
	EntityType     string           `json:"entity_type"`
	EntityID       string           `json:"entity_id"`
	Users          []userAccessJSON `json:"users"`
	NextCursor     *string          `json:"next_cursor"`
	HasMore        bool             `json:"has_more"`
}

// usersWithAccess: GET .../access/entities/{entity_type}/{entity_id}/users?
// min_level&limit&cursor: a page of the users who reach the entity.
func (s *server) usersWithAccess(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	minL, err := minLevel(r)
	if err != nil {
		return err
	}
	entity := model.EntityRef{Type: r.PathValue("entity_type"), ID: r.PathValue("entity_id")}
	query := []string{"users", org, entity.Type, entity.ID, minL.String()}
	limit, after, err := s.listingPage(r, query...)
	if err != nil {
		return err
	}
	out := usersWithAccessJSON{OrganizationID: org, EntityType: entity.Type, EntityID: entity.ID, Users: []userAccessJSON{}}
	err = s.withListingSlot(r.Context(), func() error {
		us, more, err := s.eng.UsersWithAccessPage(r.Context(), org, entity, minL, after, limit)
		if err != nil {
			return err
		}
		for _, u := range us {
			uj := userAccessJSON{UserID: u.User, AccessLevel: u.Level}
			uj.Via, uj.ViaTotal = cappedVia(u.Via)
			uj.Denied, uj.DeniedTotal = cappedVia(u.Denied)
			out.Users = append(out.Users, uj)
		}
		if more {
			out.HasMore, out.NextCursor = true, s.nextCursor(us[len(us)-1].User, query...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func membershipOf(r *http.Request) model.Membership {
	return model.Membership{
		Member: model.Subject{Type: model.SubjectType(r.PathValue("member_type")), ID: r.PathValue("member_id")},
		Group:  model.Subject{Type: model.SubjectType(r.PathValue("group_type")), ID: r.PathValue("group_id")},
	}
}

// changeMember serves PUT .../access/groups/{group_type}/{group_id}/members/
// {member_type}/{member_id} (change is AddMembers: adding one that exists is
// a no-op) and DELETE on the same path (RemoveMembers: removing one that is
// not there is a no-op); both answer 204.
func (s *server) changeMember(change func(ctx context.Context, org string, ms ...model.Membership) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		org, err := s.orgOf(r, c)
		if err != nil {
			return err
		}
		if err := change(r.Context(), org, membershipOf(r)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
