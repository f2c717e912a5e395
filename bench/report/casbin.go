package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/casbin/casbin/v2"
	casbinmodel "github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	defaultrolemanager "github.com/casbin/casbin/v2/rbac/default-role-manager"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

// casbinFlatConf is RBAC with domains, for an organisation of allows on
// entities alone. The matcher puts the cheap equality tests first
// (govaluate short-circuits &&), so the role lookup g() runs only for the
// policies of the entity asked about, and holds the level order: a policy's
// action covers the asked one when it is the same, or admin, or write asked
// for read.
const casbinFlatConf = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && r.dom == p.dom && (p.act == r.act || p.act == "admin" || p.act == "write" && r.act == "read") && g(r.sub, p.sub, r.dom)
`

// casbinRichConf adds denies and entities inside entities
// (docs/design.md §2.10–2.11). Entity links are g2 lines (child, parent):
// resource roles, so g2(r.obj, p.obj) holds when the asked entity lies
// below the policy's, transitively. The effect allows when some allow
// matches and no deny does. An allow at a level covers the levels below it;
// a deny at a level takes it and every level above it, so a deny covers
// the asked level when it is the same, or read (any level asked), or write
// asked for admin. p.tree is "1" on the policies of an entity that holds
// others (a folder): only those can match through g2, and the test keeps
// g2's role-manager search off every other policy, as the object test
// keeps g() off them.
const casbinRichConf = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act, eft, tree

[role_definition]
g = _, _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = (r.obj == p.obj || p.tree == "1" && g2(r.obj, p.obj)) && r.dom == p.dom && (p.eft == "allow" && (p.act == r.act || p.act == "admin" || p.act == "write" && r.act == "read") || p.eft == "deny" && (p.act == r.act || p.act == "read" || p.act == "write" && r.act == "admin")) && g(r.sub, p.sub, r.dom)
`

const casbinDesc = "RBAC with domains (the org as the domain); memberships as g lines (user in department/role, department in department, role in role); one p line per grant active at Epoch, the level as the action; admin ⊇ write ⊇ read in the matcher; SyncedEnforcer"

const casbinRichDesc = casbinDesc + "; entity links as g2 lines (child, parent) matched by g2(r.obj, p.obj) on the policies of entities that hold others (p.tree); denies as p lines with eft deny under some(allow) && !some(deny), a deny at a level covering it and every level above in the matcher"

// casbinSubject is Casbin v2 loaded through an in-memory adapter, as a
// database adapter would load it.
type casbinSubject struct {
	e          *casbin.SyncedEnforcer
	org        string
	maxDepth   int
	levelNames [4]string
}

func casbinName(s model.Subject) string { return string(s.Type) + ":" + s.ID }

func casbinObject(e model.EntityRef) string { return e.Type + ":" + e.ID }

func (s *casbinSubject) load(ctx context.Context, o *gen.Org, log *progress) (loaded, error) {
	s.org = o.ID
	for l := model.LevelRead; l <= model.LevelAdmin; l++ {
		s.levelNames[l] = l.String()
	}
	grants := activeGrants(o)
	rich := richOrg(o)
	rules := make([][]string, 0, len(o.Memberships)+len(o.Links)+len(grants))
	for _, m := range o.Memberships {
		rules = append(rules, []string{"g", casbinName(m.Member), casbinName(m.Group), o.ID})
	}
	parents := make(map[model.EntityRef]bool)
	for _, l := range o.Links {
		rules = append(rules, []string{"g2", casbinObject(l.Child), casbinObject(l.Parent)})
		parents[l.Parent] = true
	}
	for _, g := range grants {
		rule := []string{"p", casbinName(g.Grantee), o.ID, casbinObject(g.Entity), g.Level.String()}
		if rich {
			tree := "0"
			if parents[g.Entity] {
				tree = "1"
			}
			rule = append(rule, g.Effect.String(), tree)
		}
		rules = append(rules, rule)
	}
	conf := casbinFlatConf
	if rich {
		conf = casbinRichConf
	}
	m, err := casbinmodel.NewModelFromString(conf)
	if err != nil {
		return loaded{}, fmt.Errorf("casbin: model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		return loaded{}, fmt.Errorf("casbin: enforcer: %w", err)
	}
	// The default role manager stops 10 links up; nesting here can be
	// deeper, and a shallower search would deny what grantdb allows.
	e.SetRoleManager(defaultrolemanager.NewRoleManager(s.maxDepth))
	if rich { // folder chains are short, but say so rather than rely on the default
		e.SetNamedRoleManager("g2", defaultrolemanager.NewRoleManagerImpl(s.maxDepth))
	}
	ad := &memAdapter{ctx: ctx, rules: rules, log: log}
	e.SetAdapter(ad)
	t0 := time.Now()
	err = e.LoadPolicy()
	took := time.Since(t0)
	res := loaded{items: ad.done, total: len(rules),
		phases: []Phase{{Name: "LoadPolicy (adapter + role links)", Items: ad.done, S: took.Seconds()}}}
	if err != nil {
		if ctx.Err() != nil {
			res.stopped = true
			return res, fmt.Errorf("casbin: load stopped after %.0f s at %d of %d lines: %w", took.Seconds(), ad.done, len(rules), ctx.Err())
		}
		return res, fmt.Errorf("casbin: LoadPolicy: %w", err)
	}
	s.e = e
	log.printf("casbin: %d lines (%d g, %d g2, %d p) loaded in %.2f s", len(rules), len(o.Memberships), len(o.Links), len(grants), took.Seconds())
	return res, nil
}

func (s *casbinSubject) check(q gen.Query) (bool, error) {
	return s.e.Enforce("user:"+q.User, s.org, casbinObject(q.Entity), s.levelNames[q.Level])
}

func (s *casbinSubject) covers(gen.Query) bool { return s.e != nil }

func (s *casbinSubject) close() {}

// memAdapter loads rules held in memory, stopping when ctx ends.
type memAdapter struct {
	ctx   context.Context
	rules [][]string
	done  int
	log   *progress
}

var errReadOnly = errors.New("report: the benchmark adapter is read-only")

func (a *memAdapter) LoadPolicy(m casbinmodel.Model) error {
	tick := ticker(5 * time.Second)
	for i, rule := range a.rules {
		if i%1024 == 0 {
			if err := a.ctx.Err(); err != nil {
				return err
			}
			if tick() {
				a.log.printf("casbin: %d of %d lines", i, len(a.rules))
			}
		}
		if err := persist.LoadPolicyArray(rule, m); err != nil {
			return err
		}
		a.done = i + 1
	}
	return nil
}

func (a *memAdapter) SavePolicy(casbinmodel.Model) error          { return errReadOnly }
func (a *memAdapter) AddPolicy(string, string, []string) error    { return errReadOnly }
func (a *memAdapter) RemovePolicy(string, string, []string) error { return errReadOnly }
func (a *memAdapter) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errReadOnly
}
