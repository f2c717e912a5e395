package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
)

// The Canopy bulk create: POST /api/v1/assignments/bulk-create. The
// organisation is the API key's. identity_id is the user, node_id an entity
// of type node, role_id the level (read, write or admin), effective_from and
// effective_to the window. All-or-nothing by default; ?atomic=false skips
// duplicates instead and commits the rest, which is when 207 can happen.

// canopyNodeType is the entity type of Canopy's nodes.
const canopyNodeType = "node"

type canopyBody struct {
	Assignments []canopyItem `json:"assignments"`
}

type canopyItem struct {
	IdentityID    string `json:"identity_id"`
	NodeID        string `json:"node_id"`
	RoleID        string `json:"role_id"`
	EffectiveFrom string `json:"effective_from,omitempty"`
	EffectiveTo   string `json:"effective_to,omitempty"`
}

// canopyAssignment is an assignment as the page's data shows it; its times
// have milliseconds ("2026-04-20T12:00:00.000Z") and an open bound is null.
type canopyAssignment struct {
	ID                string  `json:"id"`
	IdentityID        string  `json:"identity_id"`
	ApplicationNodeID string  `json:"application_node_id"`
	RoleID            string  `json:"role_id"`
	EffectiveFrom     *string `json:"effective_from"`
	EffectiveTo       *string `json:"effective_to"`
	CreatedAt         string  `json:"created_at"`
	UpdatedAt         string  `json:"updated_at"`
}

const canopyTimeLayout = "2006-01-02T15:04:05.000Z07:00"

func canopyTime(t time.Time) string { return t.UTC().Format(canopyTimeLayout) }

func canopyOptionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := canopyTime(t)
	return &s
}

func canopyAssignmentOf(g model.Grant) *canopyAssignment {
	return &canopyAssignment{
		ID: g.ID, IdentityID: g.Grantee.ID, ApplicationNodeID: g.Entity.ID, RoleID: g.Level.String(),
		EffectiveFrom: canopyOptionalTime(g.EffectiveFrom), EffectiveTo: canopyOptionalTime(g.EffectiveTo),
		CreatedAt: canopyTime(g.CreatedAt), UpdatedAt: canopyTime(g.UpdatedAt),
	}
}

// canopyField renames the engine's fields to the item's.
func canopyField(f string) string {
	switch f {
	case model.FieldEntityID:
		return "node_id"
	case model.FieldGranteeID, model.FieldGranteeType:
		return "identity_id"
	case model.FieldAccessLevel:
		return "role_id"
	}
	return f
}

type canopySummary struct {
	Total     int `json:"total"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Skipped counts the items that were already there (only with
	// ?atomic=false): an addition to the page's summary. They answer
	// "success" but are not counted in Succeeded, so that succeeded +
	// skipped + failed = total, as bulk.Summary counts them.
	Skipped int `json:"skipped"`
}

type canopyResult struct {
	Index  int               `json:"index"`
	Status string            `json:"status"`
	Code   int               `json:"code"`
	Data   *canopyAssignment `json:"data,omitempty"`
	Input  *canopyItem       `json:"input,omitempty"`
	Error  *itemError        `json:"error,omitempty"`
}

type canopyResponse struct {
	Summary canopySummary  `json:"summary"`
	Results []canopyResult `json:"results"`
}

// codeRolledBack is the item error of an item that was fine but not applied
// because another item of its all-or-nothing batch failed.
const codeRolledBack = "ROLLED_BACK"

func (s *server) canopyBulkCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	mode := bulk.AllOrNothing
	switch r.URL.Query().Get("atomic") {
	case "", "true":
	case "false":
		mode = bulk.SkipDuplicates
	default:
		return invalid("atomic", "atomic must be true or false")
	}
	var body canopyBody
	if err := decodeJSON(w, r, s.limits.maxBody, &body); err != nil {
		return err
	}
	if body.Assignments == nil {
		return invalid("assignments", "assignments is required")
	}
	ins := make([]model.GrantInput, len(body.Assignments))
	for i, a := range body.Assignments {
		prefix := fmt.Sprintf("assignments[%d].", i)
		from, err := parseTime(prefix+"effective_from", a.EffectiveFrom)
		if err != nil {
			return err
		}
		to, err := parseTime(prefix+"effective_to", a.EffectiveTo)
		if err != nil {
			return err
		}
		ins[i] = model.GrantInput{
			Entity:        model.EntityRef{Type: canopyNodeType, ID: a.NodeID},
			Grantee:       model.User(a.IdentityID),
			Level:         grantLevel(a.RoleID),
			GrantedBy:     c.principal,
			EffectiveFrom: from,
			EffectiveTo:   to,
		}
	}
	res, err := s.eng.BulkCreate(r.Context(), c.org, ins, bulk.Options{Mode: mode})
	if err != nil {
		return toAPIError(err, canopyField)
	}
	out := canopyResponse{Summary: canopySummary{Total: len(res.Items)}, Results: make([]canopyResult, len(res.Items))}
	firstFailed := -1
	for _, it := range res.Items {
		if it.Status == bulk.StatusFailed {
			firstFailed = it.Index
			break
		}
	}
	for i, it := range res.Items {
		item := canopyResult{Index: it.Index, Status: "success"}
		switch it.Status {
		case bulk.StatusCreated, bulk.StatusUpdated:
			item.Code, item.Data = http.StatusCreated, canopyAssignmentOf(it.Grant)
		case bulk.StatusSkipped:
			item.Code, item.Data = http.StatusOK, canopyAssignmentOf(it.Grant)
			out.Summary.Skipped++
		case bulk.StatusFailed:
			item.Status, item.Error = "error", itemErrorOf(it.Err, canopyField)
			item.Code = statusOfCode(item.Error.Code)
		default: // rolled back
			item.Status, item.Code = "error", http.StatusFailedDependency
			item.Error = &itemError{Code: codeRolledBack, Details: map[string]string{},
				Message: fmt.Sprintf("not applied: the batch was rolled back because item %d failed", firstFailed)}
		}
		switch {
		case it.Status == bulk.StatusSkipped:
		case item.Status == "success":
			out.Summary.Succeeded++
		default:
			out.Summary.Failed++
			in := body.Assignments[it.Index]
			item.Input = &in
		}
		out.Results[i] = item
	}
	writeJSON(w, res.HTTPStatus(), out)
	return nil
}
