package bulk

import (
	"fmt"

	"github.com/grantdb/grantdb/model"
)

// Mode and StepFilter print and travel as words (skip_duplicates,
// all_or_nothing, upsert; all, success, failure), in JSON and in logs alike.

var modeNames = [...]string{SkipDuplicates: "skip_duplicates", AllOrNothing: "all_or_nothing", Upsert: "upsert"}

var filterNames = [...]string{FilterAll: "all", FilterSuccess: "success", FilterFailure: "failure"}

// String returns the mode's word, or Mode(n) for a value that is none.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// MarshalText writes the mode's word; a value that is no mode is an error.
func (m Mode) MarshalText() ([]byte, error) {
	if m < 0 || int(m) >= len(modeNames) {
		return nil, model.NewError(model.CodeValidation, FieldMode, "mode %d is out of range", int(m))
	}
	return []byte(modeNames[m]), nil
}

// UnmarshalText reads a mode's word; anything else is ErrValidation on mode
// and leaves m unchanged.
func (m *Mode) UnmarshalText(b []byte) error {
	for i, name := range modeNames {
		if string(b) == name {
			*m = Mode(i)
			return nil
		}
	}
	return model.NewError(model.CodeValidation, FieldMode, "mode must be one of {skip_duplicates, all_or_nothing, upsert}")
}

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
