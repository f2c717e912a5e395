package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/grantdb/grantdb/model"
)

// parseOpenFGA reads OpenFGA tuples as `fga tuple write --file` takes them in
// JSON or YAML: a list of {user, relation, object}, or a mapping whose tuples
// key holds that list (a store file). Every tuple goes to --org. The shapes
// grantdb expresses:
//
//	user:anne      member    group:eng        anne is a member of the group
//	group:a#member member    group:b          group a is nested in group b
//	user:anne      viewer    document:plan    a grant (relation → level)
//	group:eng#member editor  document:plan    a grant to the group
//	folder:plans   parent    document:plan    a link: the document in the folder
//
// An object with relation member (or assignee) is a group: a role when its
// type is role, else a department. Other relations map to levels as Casbin
// actions do (viewer read, editor write, owner admin, …). Wildcards (user:*),
// usersets other than #member, and conditions are refused with their line.
func parseOpenFGA(r io.Reader, opt parseOptions) ([]record, error) {
	if opt.org == "" {
		return nil, errors.New("OpenFGA tuples name no organisation: give it with --org")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && (t[0] == '[' || t[0] == '{') {
		// yaml.v3 reads JSON too, but names the line where the enclosing
		// flow began rather than the bad one: check it as JSON first.
		if err := json.Unmarshal(b, new(any)); err != nil {
			return nil, jsonFileError(b, err)
		}
	}
	var doc yaml.Node
	err = yaml.Unmarshal(b, &doc)
	if err != nil {
		return nil, yamlError(err)
	}
	if doc.Kind == 0 {
		return nil, nil // an empty file
	}
	list := &doc
	if list.Kind == yaml.DocumentNode && len(list.Content) == 1 {
		list = list.Content[0]
	}
	if list.Kind == yaml.MappingNode {
		list = mappingValue(list, "tuples")
		if list == nil {
			return nil, atLinef(doc.Line, "want a list of tuples, or a mapping with a tuples key")
		}
	}
	if list.Kind != yaml.SequenceNode {
		return nil, atLinef(list.Line, "want a list of tuples ({user, relation, object})")
	}
	recs := make([]record, 0, len(list.Content))
	for _, node := range list.Content {
		var t struct {
			User      string `yaml:"user"`
			Relation  string `yaml:"relation"`
			Object    string `yaml:"object"`
			Condition any    `yaml:"condition"`
		}
		if node.Kind != yaml.MappingNode {
			return nil, atLinef(node.Line, "a tuple is a mapping of user, relation and object")
		}
		if err := node.Decode(&t); err != nil {
			return nil, atLine(node.Line, yamlError(err))
		}
		rec, err := tupleRecord(node.Line, opt.org, t.User, t.Relation, t.Object, t.Condition != nil)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return mergeGrants(recs), nil
}

// parentRelations make the tuple's user the parent entity of its object: an
// entity link (folder:plans parent document:roadmap puts the document in the
// folder).
var parentRelations = map[string]bool{"parent": true}

// tupleParent reads the user of a parent tuple: an entity TYPE:ID.
func tupleParent(user string) (model.EntityRef, error) {
	typ, id, ok := strings.Cut(user, ":")
	switch {
	case !ok || typ == "" || id == "":
		return model.EntityRef{}, fmt.Errorf("parent %q is not type:id", user)
	case id == "*":
		return model.EntityRef{}, fmt.Errorf("parent %q: wildcards are not supported", user)
	case strings.Contains(id, "#"):
		return model.EntityRef{}, fmt.Errorf("parent %q: a parent is an object, not a userset", user)
	}
	return model.EntityRef{Type: typ, ID: id}, nil
}

// groupRelations make the tuple's object a group and its user a member.
var groupRelations = map[string]bool{"member": true, "assignee": true}

func tupleRecord(line int, org, user, relation, object string, conditioned bool) (record, error) {
	rec := record{line: line, org: org}
	switch {
	case user == "" || relation == "" || object == "":
		return rec, atLinef(line, "a tuple needs user, relation and object")
	case conditioned:
		return rec, atLinef(line, "conditional tuples are not supported")
	}
	objType, objID, ok := strings.Cut(object, ":")
	if !ok || objID == "" {
		return rec, atLinef(line, "object %q is not type:id", object)
	}
	if parentRelations[relation] {
		parent, err := tupleParent(user)
		if err != nil {
			return rec, atLine(line, err)
		}
		rec.kind = kindLink
		rec.link = &model.EntityLink{Child: model.EntityRef{Type: objType, ID: objID}, Parent: parent}
		return rec, nil
	}
	sub, err := tupleUser(user)
	if err != nil {
		return rec, atLine(line, err)
	}
	if groupRelations[relation] {
		rec.kind = kindMembership
		rec.membership = &model.Membership{Member: sub, Group: groupSubject(objType, objID)}
		return rec, nil
	}
	lvl, err := actionLevel(relation)
	if err != nil {
		return rec, atLine(line, fmt.Errorf("relation: %w", err))
	}
	rec.kind = kindGrant
	rec.grant = model.GrantInput{Entity: model.EntityRef{Type: objType, ID: objID}, Grantee: sub, Level: lvl}
	return rec, nil
}

// tupleUser reads a tuple's user: user:ID, or TYPE:ID#member for a group.
func tupleUser(user string) (model.Subject, error) {
	obj, rel, userset := strings.Cut(user, "#")
	typ, id, ok := strings.Cut(obj, ":")
	switch {
	case !ok || id == "":
		return model.Subject{}, fmt.Errorf("user %q is not type:id", user)
	case id == "*":
		return model.Subject{}, fmt.Errorf("user %q: wildcards are not supported", user)
	case userset && !groupRelations[rel]:
		return model.Subject{}, fmt.Errorf("user %q: only #member usersets are supported", user)
	case userset:
		return groupSubject(typ, id), nil
	case typ != "user":
		return model.Subject{}, fmt.Errorf("user %q: want user:ID or GROUP:ID#member", user)
	}
	return model.User(id), nil
}

// groupSubject is the grantdb group of an OpenFGA group object.
func groupSubject(typ, id string) model.Subject {
	if typ == string(model.SubjectRole) {
		return model.Role(id)
	}
	return model.Department(id)
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// yamlError gives the line of a YAML (or JSON) syntax error first: yaml.v3
// writes "yaml: line N: …".
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var n int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &n); scanErr == nil {
		return atLinef(n, "%s", strings.TrimSpace(strings.SplitN(msg, ":", 2)[1]))
	}
	return errors.New(msg)
}

// jsonFileError names the line of a syntax error in a JSON file.
func jsonFileError(b []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(b[:min(int(syn.Offset), len(b))], []byte("\n"))
		return atLinef(line, "not valid JSON: %v", err)
	}
	return jsonError(err)
}
