package main

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/model"
)

// bulkGrantsBody is the body of the Aitronos bulk create: the grants, each
// shaped as the create body, and what to do with duplicates.
type bulkGrantsBody struct {
	Grants []grantBody `json:"grants"`
	// Mode is skip_duplicates (the default), all_or_nothing or upsert.
	Mode string `json:"mode"`
}

var bulkModes = map[string]bulk.Mode{
	"":                bulk.SkipDuplicates,
	"skip_duplicates": bulk.SkipDuplicates,
	"all_or_nothing":  bulk.AllOrNothing,
	"upsert":          bulk.Upsert,
}

// itemError is the error of one item of a bulk response, shaped as the
// Canopy page shows it: code, message, details.
type itemError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details"`
}

// itemErrorOf renders an item's error, renaming its field to the wire name of
// the API at hand.
func itemErrorOf(err error, rename func(string) string) *itemError {
	if err == nil {
		return nil
	}
	out := &itemError{Code: codeInternal, Message: err.Error(), Details: map[string]string{}}
	var me *model.Error
	if errors.As(err, &me) {
		out.Code, out.Message = me.Code, renameMessage(me, rename)
		if me.Field != "" {
			out.Details["field"] = rename(me.Field)
		}
	}
	return out
}

type bulkSummaryJSON struct {
	Total     int `json:"total"`
	Succeeded int `json:"succeeded"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
}

func summaryOf(s bulk.Summary) bulkSummaryJSON {
	return bulkSummaryJSON{Total: s.Total, Succeeded: s.Succeeded, Skipped: s.Skipped, Failed: s.Failed}
}

type bulkItemJSON struct {
	Index  int          `json:"index"`
	Status bulk.Status  `json:"status"`
	Grant  *model.Grant `json:"grant,omitempty"`
	Error  *itemError   `json:"error,omitempty"`
}

type bulkResultJSON struct {
	Summary   bulkSummaryJSON `json:"summary"`
	Committed bool            `json:"committed"`
	Results   []bulkItemJSON  `json:"results"`
}

// hasGrant reports whether an item of status st carries a grant.
func hasGrant(st bulk.Status) bool {
	return st == bulk.StatusCreated || st == bulk.StatusUpdated || st == bulk.StatusSkipped
}

// bulkCreateGrants: POST .../access/grants/bulk. The status is the batch's
// (bulk.Result.HTTPStatus): 200, 207, 409 or 422.
func (s *server) bulkCreateGrants(w http.ResponseWriter, r *http.Request, c *call) error {
	org, err := s.orgOf(r, c)
	if err != nil {
		return err
	}
	var body bulkGrantsBody
	if err := decodeJSON(w, r, s.limits.maxBody, &body); err != nil {
		return err
	}
	mode, ok := bulkModes[body.Mode]
	if !ok {
		return invalid("mode", "mode must be one of {'skip_duplicates', 'all_or_nothing', 'upsert'}")
	}
	if body.Grants == nil {
		return invalid("grants", "grants is required")
	}
	ins := make([]model.GrantInput, len(body.Grants))
	for i, g := range body.Grants {
		if ins[i], err = g.input(c, fmt.Sprintf("grants[%d].", i)); err != nil {
			return err
		}
	}
	res, err := s.eng.BulkCreate(r.Context(), org, ins, bulk.Options{Mode: mode})
	if err != nil {
		return err
	}
	out := bulkResultJSON{Summary: summaryOf(res.Summary), Committed: res.Committed, Results: make([]bulkItemJSON, len(res.Items))}
	for i, it := range res.Items {
		item := bulkItemJSON{Index: it.Index, Status: it.Status, Error: itemErrorOf(it.Err, keepField)}
		if hasGrant(it.Status) {
			g := it.Grant
			item.Grant = &g
		}
		out.Results[i] = item
	}
	writeJSON(w, res.HTTPStatus(), out)
	return nil
}
