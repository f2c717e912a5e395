package model

import "fmt"

// A BulkMode prints and travels as a word (skip_duplicates, all_or_nothing,
// upsert), in JSON and in logs alike; errors name the field "mode".

var modeNames = [...]string{BulkSkipDuplicates: "skip_duplicates", BulkAllOrNothing: "all_or_nothing", BulkUpsert: "upsert"}

// String returns the mode's word, or Mode(n) for a value that is none.
func (m BulkMode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// MarshalText writes the mode's word; a value that is no mode is an error.
func (m BulkMode) MarshalText() ([]byte, error) {
	if m < 0 || int(m) >= len(modeNames) {
		return nil, NewError(CodeValidation, "mode", "mode %d is out of range", int(m))
	}
	return []byte(modeNames[m]), nil
}

// UnmarshalText reads a mode's word; anything else is ErrValidation on mode
// and leaves m unchanged.
func (m *BulkMode) UnmarshalText(b []byte) error {
	for i, name := range modeNames {
		if string(b) == name {
			*m = BulkMode(i)
			return nil
		}
	}
	return NewError(CodeValidation, "mode", "mode must be one of {skip_duplicates, all_or_nothing, upsert}")
}
