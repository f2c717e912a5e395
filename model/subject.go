package model

// SubjectType is the kind of a grantee or a membership side.
type SubjectType string

// The subject types. Users receive access; departments and roles are groups
// whose grants reach every member.
const (
	SubjectUser       SubjectType = "user"
	SubjectDepartment SubjectType = "department"
	SubjectRole       SubjectType = "role"
)

// IsGroup reports whether t is a department or a role.
func (t SubjectType) IsGroup() bool { return t == SubjectDepartment || t == SubjectRole }

// Valid reports whether t is one of the three subject types.
func (t SubjectType) Valid() bool { return t == SubjectUser || t.IsGroup() }

// Subject names a user, a department or a role.
type Subject struct {
	Type SubjectType `json:"type"`
	ID   string      `json:"id"`
}

// User returns the user subject with the given id.
func User(id string) Subject { return Subject{Type: SubjectUser, ID: id} }

// Department returns the department subject with the given id.
func Department(id string) Subject { return Subject{Type: SubjectDepartment, ID: id} }

// Role returns the role subject with the given id.
func Role(id string) Subject { return Subject{Type: SubjectRole, ID: id} }

// String writes the subject as "type:id".
func (s Subject) String() string { return string(s.Type) + ":" + s.ID }

// EntityRef names the thing access is granted to: an entity type (such as
// "knowledge_slice" or "fleet") and the entity's id.
type EntityRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// String writes the entity as "type:id".
func (e EntityRef) String() string { return e.Type + ":" + e.ID }

// Membership makes everyone reached through Member a member of Group, so that
// Group's grants apply to them. Group is a department or a role; Member is a
// user or a group of the same type as Group (a department nested in a
// department, a senior role carrying a junior role's access).
type Membership struct {
	Member Subject `json:"member"`
	Group  Subject `json:"group"`
}

// InternSubjectType returns t as the package constant of that name when it
// is one (SubjectUser, SubjectDepartment, SubjectRole), else t itself: rows
// decoded or split from keys then share one copy of "user" instead of each
// keeping its own, and compare by pointer first.
func InternSubjectType(t string) SubjectType {
	switch SubjectType(t) {
	case SubjectUser:
		return SubjectUser
	case SubjectDepartment:
		return SubjectDepartment
	case SubjectRole:
		return SubjectRole
	}
	return SubjectType(t)
}
