package model

// EntityLink puts Child inside Parent: grants on Parent apply to Child and
// to every entity below it.
type EntityLink struct {
	Child, Parent EntityRef
}
