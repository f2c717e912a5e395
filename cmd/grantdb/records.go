package main

import (
	"fmt"
	"time"

	"github.com/grantdb/grantdb/model"
)

// The kinds of record an import file holds.
const (
	kindGrant      = "grant"
	kindMembership = "membership"
	kindLink       = "link"
)

// record is one thing to import, with the line of the file it came from.
type record struct {
	line       int
	kind       string
	org        string
	grant      model.GrantInput
	membership *model.Membership // of a membership record only
	link       *model.EntityLink // of a link record only
}

// lineError is a refusal of one line of an input file.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

func atLine(line int, err error) error { return &lineError{line: line, err: err} }

func atLinef(line int, format string, args ...any) error {
	return &lineError{line: line, err: fmt.Errorf(format, args...)}
}

// flatRecord is a record as JSON Lines and CSV spell it: the model's JSON
// field names, flat, with kind and organization_id. A membership may also be
// written as model.Membership's own JSON (member and group objects), a link
// as model.EntityLink's (child and parent objects). A grant's effect is allow
// or deny, allow when left out (model.Grant's JSON writes it only for a
// deny). The
// id and timestamps of an exported grant are read and ignored: the engine
// assigns them.
type flatRecord struct {
	Kind string `json:"kind"`
	Org  string `json:"organization_id"`

	ID            string     `json:"id"`
	EntityType    string     `json:"entity_type"`
	EntityID      string     `json:"entity_id"`
	GranteeType   string     `json:"grantee_type"`
	GranteeID     string     `json:"grantee_id"`
	AccessLevel   string     `json:"access_level"`
	Effect        string     `json:"effect"`
	GrantedBy     string     `json:"granted_by"`
	EffectiveFrom *time.Time `json:"effective_from"`
	EffectiveTo   *time.Time `json:"effective_to"`
	CreatedAt     *time.Time `json:"created_at"`
	UpdatedAt     *time.Time `json:"updated_at"`

	MemberType string         `json:"member_type"`
	MemberID   string         `json:"member_id"`
	GroupType  string         `json:"group_type"`
	GroupID    string         `json:"group_id"`
	Member     *model.Subject `json:"member"`
	Group      *model.Subject `json:"group"`

	ChildType  string           `json:"child_type"`
	ChildID    string           `json:"child_id"`
	ParentType string           `json:"parent_type"`
	ParentID   string           `json:"parent_id"`
	Child      *model.EntityRef `json:"child"`
	Parent     *model.EntityRef `json:"parent"`
}

// toRecord turns a flat record into a record, taking defaultOrg when it
// names none.
func (f *flatRecord) toRecord(line int, defaultOrg string) (record, error) {
	rec := record{line: line, kind: f.Kind, org: f.Org}
	if rec.org == "" {
		rec.org = defaultOrg
	}
	if rec.org == "" {
		return rec, atLinef(line, "organization_id is missing (give it in the record or with --org)")
	}
	switch f.Kind {
	case kindGrant:
		lvl, err := model.ParseLevel(f.AccessLevel)
		if err != nil {
			return rec, atLine(line, err)
		}
		effect := model.EffectAllow
		if f.Effect != "" {
			if effect, err = model.ParseEffect(f.Effect); err != nil {
				return rec, atLine(line, err)
			}
		}
		rec.grant = model.GrantInput{
			Entity:    model.EntityRef{Type: f.EntityType, ID: f.EntityID},
			Grantee:   model.Subject{Type: model.SubjectType(f.GranteeType), ID: f.GranteeID},
			Level:     lvl,
			Effect:    effect,
			GrantedBy: f.GrantedBy,
		}
		if f.EffectiveFrom != nil {
			rec.grant.EffectiveFrom = f.EffectiveFrom.UTC()
		}
		if f.EffectiveTo != nil {
			rec.grant.EffectiveTo = f.EffectiveTo.UTC()
		}
	case kindMembership:
		m := model.Membership{
			Member: model.Subject{Type: model.SubjectType(f.MemberType), ID: f.MemberID},
			Group:  model.Subject{Type: model.SubjectType(f.GroupType), ID: f.GroupID},
		}
		if f.Member != nil {
			m.Member = *f.Member
		}
		if f.Group != nil {
			m.Group = *f.Group
		}
		rec.membership = &m
	case kindLink:
		l := model.EntityLink{
			Child:  model.EntityRef{Type: f.ChildType, ID: f.ChildID},
			Parent: model.EntityRef{Type: f.ParentType, ID: f.ParentID},
		}
		if f.Child != nil {
			l.Child = *f.Child
		}
		if f.Parent != nil {
			l.Parent = *f.Parent
		}
		rec.link = &l
	case "":
		return rec, atLinef(line, `kind is missing: want "grant", "membership" or "link"`)
	default:
		return rec, atLinef(line, `unknown kind %q: want "grant", "membership" or "link"`, f.Kind)
	}
	return rec, nil
}

// validate checks every record as the engine will (allowing entityTypes
// only, when given), so that a file is refused
// whole, naming the line, before anything is written. What needs the stored
// state (duplicates, membership cycles) is the engine's to find.
func validate(recs []record, entityTypes []string, now time.Time) error {
	v, err := model.NewValidator(entityTypes...)
	if err != nil {
		return err
	}
	for i := range recs {
		r := &recs[i]
		if err := v.Org(r.org); err != nil {
			return atLine(r.line, err)
		}
		switch r.kind {
		case kindGrant:
			err = v.Grant(r.grant, now)
		case kindMembership:
			err = v.Membership(*r.membership)
		case kindLink:
			err = v.EntityLink(*r.link)
		}
		if err != nil {
			return atLine(r.line, err)
		}
	}
	return nil
}
