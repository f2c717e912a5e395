package bulk

import (
	"fmt"

	"github.com/grantdb/grantdb/model"
)

// StepFilter prints and travels as a word (all, success, failure), in JSON
// and in logs alike, as Mode does (model.BulkMode).

var filterNames = [...]string{FilterAll: "all", FilterSuccess: "success", FilterFailure: "failure"}

// String returns the filter's word, or StepFilter(n) for a value that is
// none.
func (f StepFilter) String() string {
	if f.Valid() {
		return filterNames[f]
	}
	return fmt.Sprintf("StepFilter(%d)", int(f))
}

// MarshalText writes the filter's word; a value that is no filter is an
// error.
func (f StepFilter) MarshalText() ([]byte, error) {
	if !f.Valid() {
		return nil, model.NewError(model.CodeValidation, jobFieldFilter, "filter %d is out of range", int(f))
	}
	return []byte(filterNames[f]), nil
}

// UnmarshalText reads a filter's word; anything else is ErrValidation on
// filter and leaves f unchanged.
func (f *StepFilter) UnmarshalText(b []byte) error {
	for i, name := range filterNames {
		if string(b) == name {
			*f = StepFilter(i)
			return nil
		}
	}
	return model.NewError(model.CodeValidation, jobFieldFilter, "filter must be one of all, success, failure")
}
