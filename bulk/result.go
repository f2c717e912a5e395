package bulk

import (
	"errors"
	"net/http"

	"github.com/grantdb/grantdb/model"
)

// Mode says what a batch does with duplicates: inputs whose (entity,
// grantee) already has a grant, or that repeat an earlier input of the batch
// (defined in model, so that the store keeps a job's mode typed).
type Mode = model.BulkMode

// The batch modes.
const (
	// SkipDuplicates (the zero value) skips duplicates, fails invalid inputs
	// and creates the rest.
	SkipDuplicates = model.BulkSkipDuplicates
	// AllOrNothing refuses the whole batch when any input is invalid or a
	// duplicate: nothing is written.
	AllOrNothing = model.BulkAllOrNothing
	// Upsert gives a duplicate the new level and window, keeping its id.
	Upsert = model.BulkUpsert
)

// Options configure one BulkCreate.
type Options struct {
	// Mode is what the batch does with duplicates (zero: SkipDuplicates).
	Mode Mode
	// Progress, when set, is called on the caller's goroutine as the batch
	// is applied: done never decreases and the last call is (total, total).
	Progress func(done, total int)
}

// Status is the outcome of one item of a batch.
type Status string

// The item statuses.
const (
	// StatusCreated: the input became a new grant.
	StatusCreated Status = "created"
	// StatusUpdated: Upsert gave a duplicate's grant the input's level and
	// window.
	StatusUpdated Status = "updated"
	// StatusSkipped: SkipDuplicates left a duplicate alone; the Item carries
	// the existing grant, or the earlier input's new one.
	StatusSkipped Status = "skipped"
	// StatusFailed: the input was invalid, or a duplicate under
	// AllOrNothing; the Item's Err says why.
	StatusFailed Status = "failed"
	// StatusRolledBack: the input was fine, but its AllOrNothing batch was
	// refused, so nothing was written.
	StatusRolledBack Status = "rolled_back"
)

// Item is the outcome of the input at Index. Grant is the new, updated or
// (when skipped) existing grant; Err, set when the item failed, is always a
// *model.Error.
type Item struct {
	Index  int    `json:"index"`
	Status Status `json:"status"`
	// Grant is omitted from JSON when the item has none (failed, rolled
	// back).
	Grant model.Grant `json:"grant,omitzero"`
	// Err is written as the error object {code, message, field}.
	Err error `json:"error,omitempty"`
}

// Summary counts a batch's items. Total is the number of inputs; Succeeded
// counts created and updated items, Skipped skipped ones, and Failed failed
// items only (not rolled-back ones).
type Summary struct {
	Total     int `json:"total"`
	Succeeded int `json:"succeeded"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
}

// Result is the outcome of a batch: one Item per input, in input order.
// Committed is false only for a refused AllOrNothing batch.
type Result struct {
	Summary   Summary `json:"summary"`
	Items     []Item  `json:"items"`
	Committed bool    `json:"committed"`
}

// HTTPStatus is the status code of a bulk response carrying r: 200 when no
// item failed (a batch of skipped items included); 207 when the batch
// committed with failures and some item succeeded or was skipped; otherwise
// (nothing committed, or every item failed) 409 when every failure is a
// duplicate, else 422.
func (r Result) HTTPStatus() int {
	if r.Summary.Failed == 0 {
		return http.StatusOK
	}
	if r.Committed && r.Summary.Succeeded+r.Summary.Skipped > 0 {
		return http.StatusMultiStatus
	}
	for _, it := range r.Items {
		if it.Status == StatusFailed && !errors.Is(it.Err, model.ErrDuplicate) {
			return http.StatusUnprocessableEntity
		}
	}
	return http.StatusConflict
}
