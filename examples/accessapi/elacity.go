package main

import (
	"net/http"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
)

// The Elacity bulk grant: POST /api/access-grants/bulk. The organisation is
// the body's orgSlug; each grant gives a user access to a resource (an entity
// of resourceType, one of the configured entity types), at read unless the
// item adds accessLevel. Duplicates are skipped.

type elacityBody struct {
	OrgSlug string         `json:"orgSlug"`
	Grants  []elacityGrant `json:"grants"`
}

type elacityGrant struct {
	UserID       string `json:"userId"`
	ResourceType string `json:"resourceType"`
	ResourceID   string `json:"resourceId"`
	// AccessLevel is an addition to the page's item: read (the default),
	// write or admin.
	AccessLevel string `json:"accessLevel"`
}

// elacityField renames the engine's fields to the item's.
func elacityField(f string) string {
	switch f {
	case model.FieldEntityType:
		return "resourceType"
	case model.FieldEntityID:
		return "resourceId"
	case model.FieldGranteeID, model.FieldGranteeType:
		return "userId"
	case model.FieldAccessLevel:
		return "accessLevel"
	case model.FieldGrantedBy:
		return "grantedBy"
	case model.FieldOrg:
		return "orgSlug"
	}
	return f
}

type elacityGrantJSON struct {
	ID           string    `json:"id"`
	UserID       string    `json:"userId"`
	ResourceType string    `json:"resourceType"`
	ResourceID   string    `json:"resourceId"`
	AccessLevel  string    `json:"accessLevel"`
	GrantedBy    string    `json:"grantedBy"`
	CreatedAt    time.Time `json:"createdAt"`
}

type elacityItemJSON struct {
	Index  int               `json:"index"`
	Status bulk.Status       `json:"status"`
	Grant  *elacityGrantJSON `json:"grant,omitempty"`
	Error  *itemError        `json:"error,omitempty"`
}

type elacitySummaryJSON struct {
	Total   int `json:"total"`
	Created int `json:"created"`
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
}

type elacityResultJSON struct {
	OrgSlug string             `json:"orgSlug"`
	Summary elacitySummaryJSON `json:"summary"`
	Results []elacityItemJSON  `json:"results"`
}

// elacityBulk answers 200 when no item failed (skipped duplicates
// included), 207 when some failed and others did not, 422 when all failed.
func (s *server) elacityBulk(w http.ResponseWriter, r *http.Request, c *call) error {
	var body elacityBody
	if err := decodeJSON(w, r, s.limits.maxBody, &body); err != nil {
		return err
	}
	if body.OrgSlug == "" {
		return invalid("orgSlug", "orgSlug is required")
	}
	if err := c.allow(body.OrgSlug, "orgSlug"); err != nil {
		return err
	}
	if body.Grants == nil {
		return invalid("grants", "grants is required")
	}
	ins := make([]model.GrantInput, len(body.Grants))
	for i, g := range body.Grants {
		level := model.LevelRead
		if g.AccessLevel != "" {
			level = grantLevel(g.AccessLevel)
		}
		ins[i] = model.GrantInput{
			Entity:    model.EntityRef{Type: g.ResourceType, ID: g.ResourceID},
			Grantee:   model.User(g.UserID),
			Level:     level,
			GrantedBy: c.principal,
		}
	}
	res, err := s.eng.BulkCreate(r.Context(), body.OrgSlug, ins, bulk.Options{Mode: bulk.SkipDuplicates})
	if err != nil {
		return toAPIError(err, elacityField)
	}
	out := elacityResultJSON{
		OrgSlug: body.OrgSlug,
		Summary: elacitySummaryJSON{Total: res.Summary.Total, Created: res.Summary.Succeeded, Skipped: res.Summary.Skipped, Failed: res.Summary.Failed},
		Results: make([]elacityItemJSON, len(res.Items)),
	}
	for i, it := range res.Items {
		item := elacityItemJSON{Index: it.Index, Status: it.Status, Error: itemErrorOf(it.Err, elacityField)}
		if hasGrant(it.Status) {
			g := it.Grant
			item.Grant = &elacityGrantJSON{
				ID: g.ID, UserID: g.Grantee.ID, ResourceType: g.Entity.Type, ResourceID: g.Entity.ID,
				AccessLevel: g.Level.String(), GrantedBy: g.GrantedBy, CreatedAt: g.CreatedAt,
			}
		}
		out.Results[i] = item
	}
	writeJSON(w, res.HTTPStatus(), out)
	return nil
}
