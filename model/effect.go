package model

import "fmt"

// Effect is what a grant does: allow gives its level, deny takes its level
// and every level above it away from everyone the grant reaches (docs/design.md
// §7, "Deny"). The zero value is allow, so an input that says nothing allows.
type Effect uint8

// The effects.
const (
	EffectAllow Effect = 0
	EffectDeny  Effect = 1
)

var effectNames = [...]string{"allow", "deny"}

// String returns "allow" or "deny"; an effect out of range is written
// "effect(N)".
func (f Effect) String() string {
	if int(f) < len(effectNames) {
		return effectNames[f]
	}
	return fmt.Sprintf("effect(%d)", uint8(f))
}

// Valid reports whether f is allow or deny.
func (f Effect) Valid() bool { return f <= EffectDeny }

// ParseEffect parses "allow" or "deny" (exactly, lower case). Anything else
// is a *Error with code VALIDATION_ERROR on field effect.
func ParseEffect(s string) (Effect, error) {
	for i, name := range effectNames {
		if s == name {
			return Effect(i), nil
		}
	}
	return EffectAllow, effectError()
}

// GrantEffect checks the effect of a grant: allow or deny.
func GrantEffect(f Effect) error {
	if !f.Valid() {
		return effectError()
	}
	return nil
}

func effectError() *Error {
	return validationf(FieldEffect, "effect must be one of {'allow', 'deny'}")
}

// MarshalText writes the effect as its word. An effect out of range is an
// error, so that a corrupt value never reaches the wire.
func (f Effect) MarshalText() ([]byte, error) {
	if !f.Valid() {
		return nil, validationf(FieldEffect, "effect %d is out of range", uint8(f))
	}
	return []byte(effectNames[f]), nil
}

// UnmarshalText reads an effect written as its word; anything else is the
// error ParseEffect gives, and leaves f unchanged.
func (f *Effect) UnmarshalText(b []byte) error {
	v, err := ParseEffect(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}
