package resolve

import "github.com/grantdb/grantdb/model"

// Query selects the entities of ResolvedAccess. Zero fields match all: an
// empty EntityType lists every type, and a MinLevel below read is taken as
// read (a listed entity always gives some access).
type Query struct {
	EntityType string
	MinLevel   model.Level
}

// Path explains one grant that gives a user access: the grant, and the chain
// of subjects along which it reaches the user. Chain starts with the user,
// then each group crossed, and ends at Grant.Grantee (a grant to the user
// directly has a chain of one).
//
// Entities starts with the entity asked about, then each parent crossed, and
// ends at Grant.Entity (a grant on the entity itself has just that entity):
// the shortest chain of links, ties broken as chains of subjects are.
type Path struct {
	Grant    model.Grant       `json:"grant"`
	Chain    []model.Subject   `json:"chain"`
	Entities []model.EntityRef `json:"entities"`
}

// Decision is a user's effective access to one entity: the level (the
// highest active allow that applies, capped below the lowest active deny
// that applies; LevelNone when nothing is left) and, in Via, one Path per
// active applying allow whose level, so capped, is that level, sorted by
// grant id. Via is empty exactly when Level is none. Denied holds every
// active applying deny at or below the highest allow, sorted by grant id:
// the denies that took a level away. A path's Grant.Level exceeds Level only
// when Denied is not empty.
type Decision struct {
	Entity model.EntityRef `json:"entity"`
	Level  model.Level     `json:"level"`
	Via    []Path          `json:"via"`
	Denied []Path          `json:"denied,omitempty"`
}

// UserAccess is one user's effective access to an entity, as listed by
// UsersWithAccess: like Decision, from the entity's side.
type UserAccess struct {
	User   string      `json:"user"`
	Level  model.Level `json:"level"`
	Via    []Path      `json:"via"`
	Denied []Path      `json:"denied,omitempty"`
}
