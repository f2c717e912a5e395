package main

import (
	"io"
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// parseCasbin reads a Casbin policy file of the RBAC model with domains:
//
//	p, sub, dom, obj, act   a grant: sub may act on obj in domain dom
//	g, user, role, dom      a membership: user holds role in domain dom
//
// or of the model without domains (p, sub, obj, act and g, user, role), whose
// lines all go to --org. Domains are organisations. An object becomes an
// entity of type --entity-type unless written type:id; an action becomes a
// level (see actionLevels), and several actions of one subject on one object
// become one grant: an allow at the highest, a deny at the lowest. A subject is a role when it appears as the
// role of a g line in its domain, else a user; user:, role: and department:
// prefixes say it outright. A p line may end in an effect, eft (allow or
// deny), as in Casbin's deny-override model: a deny becomes a grantdb deny
// (see policyEffect). Blank lines and lines starting with # are skipped.
func parseCasbin(r io.Reader, opt parseOptions) ([]record, error) {
	type line struct {
		n      int
		fields []string
	}
	var ps, gs []line
	err := eachLine(r, func(n int, raw []byte) error {
		s := strings.TrimSpace(string(raw))
		if s == "" || strings.HasPrefix(s, "#") {
			return nil
		}
		fields := strings.Split(s, ",")
		for i, f := range fields {
			fields[i] = strings.Trim(strings.TrimSpace(f), `"`)
			if fields[i] == "" {
				return atLinef(n, "field %d is empty", i+1)
			}
		}
		switch fields[0] {
		case "p":
			if len(fields) < 4 || len(fields) > 6 {
				return atLinef(n, "a p line has 4 fields (p, sub, dom, obj, act) or 5 with an effect (…, eft); without domains, 3 (p, sub, obj, act) or 4 (…, eft); this one has %d", len(fields)-1)
			}
			ps = append(ps, line{n, fields[1:]})
		case "g":
			if len(fields) != 4 && len(fields) != 3 {
				return atLinef(n, "a g line has 3 fields (g, user, role, dom) or, without domains, 2 (g, user, role); this one has %d", len(fields)-1)
			}
			gs = append(gs, line{n, fields[1:]})
		default:
			return atLinef(n, "policy type %q is not supported: only p and g lines (RBAC with domains)", fields[0])
		}
		for _, f := range fields[1:] {
			if strings.Contains(f, "*") {
				return atLinef(n, "wildcard %q is not supported: grantdb grants name one entity, subject and domain", f)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	domain := func(n int, dom string) (string, error) {
		if dom != "" {
			return dom, nil
		}
		if opt.org == "" {
			return "", atLinef(n, "this policy has no domains: give the organisation with --org")
		}
		return opt.org, nil
	}
	// Roles first: a name is a role in a domain when a g line gives it.
	type roleKey struct{ org, name string }
	roles := map[roleKey]bool{}
	type gline struct {
		n               int
		org, user, role string
	}
	gl := make([]gline, 0, len(gs))
	for _, g := range gs {
		dom := ""
		if len(g.fields) == 3 {
			dom = g.fields[2]
		}
		org, err := domain(g.n, dom)
		if err != nil {
			return nil, err
		}
		roles[roleKey{org, g.fields[1]}] = true
		gl = append(gl, gline{g.n, org, g.fields[0], g.fields[1]})
	}
	subject := func(org, name string, groupOnly bool) model.Subject {
		for _, t := range []model.SubjectType{model.SubjectUser, model.SubjectRole, model.SubjectDepartment} {
			if id, ok := strings.CutPrefix(name, string(t)+":"); ok {
				return model.Subject{Type: t, ID: id}
			}
		}
		if groupOnly || roles[roleKey{org, name}] {
			return model.Role(name)
		}
		return model.User(name)
	}
	recs := make([]record, 0, len(ps)+len(gs))
	for _, p := range ps {
		fields, effect, err := policyEffect(p.n, p.fields)
		if err != nil {
			return nil, err
		}
		dom, obj, act := "", fields[1], fields[2]
		if len(fields) == 4 {
			dom, obj, act = fields[1], fields[2], fields[3]
		}
		org, err := domain(p.n, dom)
		if err != nil {
			return nil, err
		}
		lvl, err := actionLevel(act)
		if err != nil {
			return nil, atLine(p.n, err)
		}
		recs = append(recs, record{line: p.n, kind: kindGrant, org: org, grant: model.GrantInput{
			Entity:  entityOf(obj, opt.entityType),
			Grantee: subject(org, fields[0], false),
			Level:   lvl,
			Effect:  effect,
		}})
	}
	for _, g := range gl {
		recs = append(recs, record{line: g.n, kind: kindMembership, org: g.org, membership: &model.Membership{
			Member: subject(g.org, g.user, false),
			Group:  subject(g.org, g.role, true),
		}})
	}
	slices.SortStableFunc(recs, func(a, b record) int { return a.line - b.line })
	return mergeGrants(recs), nil
}

// entityOf reads an object written type:id, or an id of type defaultType.
func entityOf(obj, defaultType string) model.EntityRef {
	if t, id, ok := strings.Cut(obj, ":"); ok {
		return model.EntityRef{Type: t, ID: id}
	}
	return model.EntityRef{Type: defaultType, ID: obj}
}

// policyEffect splits the effect off a p line's fields (sub, [dom,] obj,
// act[, eft]). Five fields end in one; of four, the last is an effect when it
// is allow or deny (no action is called that), and otherwise the line is sub,
// dom, obj, act. Without an eft the policy allows.
func policyEffect(n int, fields []string) ([]string, model.Effect, error) {
	hasEffect := len(fields) == 5
	if len(fields) == 4 {
		last := strings.ToLower(fields[3])
		hasEffect = last == "allow" || last == "deny"
	}
	if !hasEffect {
		return fields, model.EffectAllow, nil
	}
	eft := fields[len(fields)-1]
	effect, err := model.ParseEffect(strings.ToLower(eft))
	if err != nil {
		return nil, 0, atLinef(n, "effect %q: want allow or deny", eft)
	}
	return fields[:len(fields)-1], effect, nil
}
