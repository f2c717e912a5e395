package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/grantdb/grantdb/model"
)

// csvColumns are the columns CSV input may have, in the order export writes
// them: the JSON Lines field names. The header names the ones a file uses, in
// any order; kind may be left out, and then every row is a grant. Times are
// RFC 3339; an empty cell is an unset field.
var csvColumns = []string{
	"kind", "organization_id", "id",
	"entity_type", "entity_id", "grantee_type", "grantee_id", "access_level", "effect", "granted_by",
	"effective_from", "effective_to", "created_at", "updated_at",
	"member_type", "member_id", "group_type", "group_id",
	"child_type", "child_id", "parent_type", "parent_id",
}

// csvColumn is the index of each of csvColumns.
var csvColumn = func() map[string]int {
	at := make(map[string]int, len(csvColumns))
	for i, c := range csvColumns {
		at[c] = i
	}
	return at
}()

func parseCSV(r io.Reader, opt parseOptions) ([]record, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, csvError(err)
	}
	header = slices.Clone(header) // ReuseRecord: the next Read overwrites it
	setters := make([]func(f *flatRecord, v string) error, len(header))
	seen := map[string]bool{}
	for i, name := range header {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		set, ok := csvSetter(name)
		if !ok {
			return nil, atLinef(1, "unknown column %q in the header (columns: %s)", name, strings.Join(csvColumns, ", "))
		}
		if seen[name] {
			return nil, atLinef(1, "column %q appears twice in the header", name)
		}
		seen[name] = true
		setters[i] = set
	}
	var recs []record
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		f := flatRecord{Kind: kindGrant}
		for i, v := range row {
			if err := setters[i](&f, v); err != nil {
				return nil, atLinef(line, "column %s: %v", header[i], err)
			}
		}
		rec, err := f.toRecord(line, opt.org)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
}

// csvError gives encoding/csv's errors the line number first.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return atLinef(pe.Line, "%v", pe.Err)
	}
	return err
}

// csvSetter returns what stores a cell of column name in a flat record.
func csvSetter(name string) (func(f *flatRecord, v string) error, bool) {
	str := func(p func(f *flatRecord) *string) func(f *flatRecord, v string) error {
		return func(f *flatRecord, v string) error { *p(f) = v; return nil }
	}
	tm := func(p func(f *flatRecord) **time.Time) func(f *flatRecord, v string) error {
		return func(f *flatRecord, v string) error {
			if v == "" {
				return nil
			}
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return fmt.Errorf("not an RFC 3339 time: %q", v)
			}
			*p(f) = &t
			return nil
		}
	}
	setters := map[string]func(f *flatRecord, v string) error{
		"kind": func(f *flatRecord, v string) error {
			if v != "" {
				f.Kind = v
			}
			return nil
		},
		"organization_id":        str(func(f *flatRecord) *string { return &f.Org }),
		"id":                     str(func(f *flatRecord) *string { return &f.ID }),
		model.FieldEntityType:    str(func(f *flatRecord) *string { return &f.EntityType }),
		model.FieldEntityID:      str(func(f *flatRecord) *string { return &f.EntityID }),
		model.FieldGranteeType:   str(func(f *flatRecord) *string { return &f.GranteeType }),
		model.FieldGranteeID:     str(func(f *flatRecord) *string { return &f.GranteeID }),
		model.FieldAccessLevel:   str(func(f *flatRecord) *string { return &f.AccessLevel }),
		model.FieldEffect:        str(func(f *flatRecord) *string { return &f.Effect }),
		model.FieldGrantedBy:     str(func(f *flatRecord) *string { return &f.GrantedBy }),
		model.FieldEffectiveFrom: tm(func(f *flatRecord) **time.Time { return &f.EffectiveFrom }),
		model.FieldEffectiveTo:   tm(func(f *flatRecord) **time.Time { return &f.EffectiveTo }),
		"created_at":             tm(func(f *flatRecord) **time.Time { return &f.CreatedAt }),
		"updated_at":             tm(func(f *flatRecord) **time.Time { return &f.UpdatedAt }),
		model.FieldMemberType:    str(func(f *flatRecord) *string { return &f.MemberType }),
		model.FieldMemberID:      str(func(f *flatRecord) *string { return &f.MemberID }),
		model.FieldGroupType:     str(func(f *flatRecord) *string { return &f.GroupType }),
		model.FieldGroupID:       str(func(f *flatRecord) *string { return &f.GroupID }),
		model.FieldChildType:     str(func(f *flatRecord) *string { return &f.ChildType }),
		model.FieldChildID:       str(func(f *flatRecord) *string { return &f.ChildID }),
		model.FieldParentType:    str(func(f *flatRecord) *string { return &f.ParentType }),
		model.FieldParentID:      str(func(f *flatRecord) *string { return &f.ParentID }),
	}
	set, ok := setters[name]
	return set, ok
}
