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

// casbinConf is RBAC with domains. The matcher puts the cheap equality
// tests first (govaluate short-circuits &&), so the role lookup g() runs
// only for the policies of the entity asked about, and holds the level
// order: a policy's action covers the asked one when it is the same, or
// admin, or write asked for read.
const casbinConf = `
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

const casbinDesc = "RBAC with domains (the org as the domain); memberships as g lines (user in department/role, department in department, role in role); one p line per grant active at Epoch, the level as the action; admin ⊇ write ⊇ read in the matcher; SyncedEnforcer"

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
	rules := make([][]string, 0, len(o.Memberships)+len(grants))
	for _, m := range o.Memberships {
		rules = append(rules, []string{"g", casbinName(m.Member), casbinName(m.Group), o.ID})
	}
	for _, g := range grants {
		rules = append(rules, []string{"p", casbinName(g.Grantee), o.ID, casbinObject(g.Entity), g.Level.String()})
	}
	m, err := casbinmodel.NewModelFromString(casbinConf)
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
	log.printf("casbin: %d lines (%d g, %d p) loaded in %.2f s", len(rules), len(o.Memberships), len(grants), took.Seconds())
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
