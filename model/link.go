package model

// EntityLink puts Child inside Parent: a folder holding a document, a
// namespace holding a stream, a node of a tree. Grants on Parent, allows and
// denies, apply to Child and to everything below it (docs/design.md §2.11,
// "Hierarchy"). An entity may sit in several parents; links never form a
// cycle.
type EntityLink struct {
	Child  EntityRef `json:"child"`
	Parent EntityRef `json:"parent"`
}

// EntityLink checks the shape of a link: both entities well-formed (fields
// child_type, child_id, parent_type, parent_id), and not one entity linked to
// itself (a CONFLICT on parent_id). Cycles through other entities need the
// stored links and are the engine's to find.
func (v *Validator) EntityLink(l EntityLink) error {
	if err := v.linkEntity(l.Child, FieldChildType, FieldChildID); err != nil {
		return err
	}
	if err := v.linkEntity(l.Parent, FieldParentType, FieldParentID); err != nil {
		return err
	}
	if l.Child == l.Parent {
		return NewError(CodeConflict, FieldParentID, "%s cannot be inside itself", l.Child)
	}
	return nil
}

// linkEntity checks one side of a link as Entity does, naming the side's
// fields instead of entity_type and entity_id.
func (v *Validator) linkEntity(e EntityRef, typeField, idField string) error {
	if err := v.EntityType(e.Type); err != nil {
		return renameField(err, FieldEntityType, typeField)
	}
	return ID(idField, e.ID)
}

// renameField returns err with its field, and the field's name at the start
// of its message, renamed from old to field.
func renameField(err error, old, field string) error {
	me, ok := err.(*Error)
	if !ok || me.Field != old {
		return err
	}
	msg := me.Message
	if len(msg) >= len(old) && msg[:len(old)] == old {
		msg = field + msg[len(old):]
	}
	return &Error{Code: me.Code, Field: field, Message: msg}
}
