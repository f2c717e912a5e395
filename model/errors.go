package model

import (
	"fmt"
	"strings"
)

// Error codes, as they appear in the seeds' error envelopes.
const (
	CodeValidation = "VALIDATION_ERROR"
	CodeNotFound   = "NOT_FOUND"
	CodeDuplicate  = "DUPLICATE"
	CodeConflict   = "CONFLICT"
	CodeClosed     = "CLOSED"
)

// Error is the one error type grantdb returns for a refused call. Code is one
// of the Code constants, Field names the offending input in snake_case (empty
// when no single field is to blame) and Message says what is wrong in the
// seeds' words. Match it with errors.Is against the sentinels below, or
// errors.As to read the field.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// The sentinels. errors.Is(err, ErrNotFound) holds for every *Error whose Code
// is NOT_FOUND, whatever its message or field.
var (
	ErrValidation error = &Error{Code: CodeValidation, Message: "invalid input"}
	ErrNotFound   error = &Error{Code: CodeNotFound, Message: "not found"}
	ErrDuplicate  error = &Error{Code: CodeDuplicate, Message: "duplicate"}
	ErrConflict   error = &Error{Code: CodeConflict, Message: "conflict"}
	ErrClosed     error = &Error{Code: CodeClosed, Message: "engine is closed"}
)

// Error returns the message, prefixed with "field: " only when a field is
// named and the message does not already start with it: the seeds' messages
// mostly name their field ("entity_id is required"), and one mention is
// enough.
func (e *Error) Error() string {
	if e.Field == "" || namesField(e.Message, e.Field) {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// namesField reports whether msg starts with the word field.
func namesField(msg, field string) bool {
	rest, ok := strings.CutPrefix(msg, field)
	if !ok {
		return false
	}
	return rest == "" || rest[0] == ' ' || rest[0] == ':' || rest[0] == ','
}

// Is reports whether target is the sentinel of e's code.
func (e *Error) Is(target error) bool {
	switch e.Code {
	case CodeValidation:
		return target == ErrValidation
	case CodeNotFound:
		return target == ErrNotFound
	case CodeDuplicate:
		return target == ErrDuplicate
	case CodeConflict:
		return target == ErrConflict
	case CodeClosed:
		return target == ErrClosed
	case CodeCompacted:
		return target == ErrCompacted
	}
	return false
}

// NewError returns an *Error with the given code and field, and the message
// formatted from format and args as fmt.Sprintf does.
func NewError(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

func validationf(field, format string, args ...any) *Error {
	return NewError(CodeValidation, field, format, args...)
}

// Field names used in errors, in the seeds' snake_case.
const (
	FieldOrg           = "organization_id"
	FieldEntityType    = "entity_type"
	FieldEntityID      = "entity_id"
	FieldGranteeType   = "grantee_type"
	FieldGranteeID     = "grantee_id"
	FieldAccessLevel   = "access_level"
	FieldGrantedBy     = "granted_by"
	FieldEffectiveFrom = "effective_from"
	FieldEffectiveTo   = "effective_to"
	FieldMemberType    = "member_type"
	FieldMemberID      = "member_id"
	FieldGroupType     = "group_type"
	FieldGroupID       = "group_id"
	FieldUserID        = "user_id"
	FieldGrantID       = "id"
	FieldCursor        = "cursor"
	FieldLimit         = "limit"
	FieldEffect        = "effect"
	FieldChildType     = "child_type"
	FieldChildID       = "child_id"
	FieldParentType    = "parent_type"
	FieldParentID      = "parent_id"
)
