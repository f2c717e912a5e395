package model

import "fmt"

// Level is an access level. Levels are ordered: a higher level includes every
// lower one (admin ⊇ write ⊇ read). A grant always carries read, write or
// admin; LevelNone appears only in decisions ("this user has no access").
type Level uint8

// The access levels, in increasing order.
const (
	LevelNone  Level = 0
	LevelRead  Level = 1
	LevelWrite Level = 2
	LevelAdmin Level = 3
)

var levelNames = [...]string{"none", "read", "write", "admin"}

// String returns "none", "read", "write" or "admin"; a level out of range is
// written "level(N)".
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", uint8(l))
}

// Valid reports whether l is one of the four defined levels.
func (l Level) Valid() bool { return l <= LevelAdmin }

// ParseLevel parses "none", "read", "write" or "admin" (exactly, lower case).
// Anything else is a *Error with code VALIDATION_ERROR on field access_level.
func ParseLevel(s string) (Level, error) {
	for i, name := range levelNames {
		if s == name {
			return Level(i), nil
		}
	}
	return LevelNone, validationf(FieldAccessLevel, "access_level must be one of {'read', 'write', 'admin'}")
}

// MarshalText writes the level as its word. A level out of range is an error,
// so that a corrupt value never reaches the wire.
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, validationf(FieldAccessLevel, "access level %d is out of range", uint8(l))
	}
	return []byte(levelNames[l]), nil
}

// UnmarshalText reads a level written as its word; anything else is the
// error ParseLevel gives, and leaves l unchanged.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
