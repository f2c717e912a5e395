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
type Path struct {
	Grant model.Grant     `json:"grant"`
	Chain []model.Subject `json:"chain"`
}

// Decision is a user's effective access to one entity: the level (LevelNone
// when nothing applies) and, in Via, one Path per active applying grant that
// gives that level, sorted by grant id. Via is empty when Level is none.
type Decision struct {
	Entity model.EntityRef `json:"entity"`
	Level  model.Level     `json:"level"`
	Via    []Path          `json:"via"`
}

// UserAccess is one user's effective access to an entity, as listed by
// UsersWithAccess: like Decision, from the entity's side.
type UserAccess struct {
	User  string      `json:"user"`
	Level model.Level `json:"level"`
	Via   []Path      `json:"via"`
}
