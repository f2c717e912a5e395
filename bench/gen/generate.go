package gen

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/grantdb/grantdb/model"
)

// Random streams: each part of the generator draws from its own PCG stream
// of the seed, so that changing one part's draws leaves the others alone.
const (
	streamStructure = 1 + iota
	streamGrants
	streamQueries
	streamPick
	streamFolders
	streamFolderGrants
	streamDenies
)

// Generate returns the organisation of the given preset size for seed.
func Generate(seed uint64, size Size) *Org {
	cfg := size.Config()
	cfg.Seed = seed
	return New(cfg)
}

// New returns the organisation cfg describes. It is deterministic: the same
// cfg always gives the same Org.
func New(cfg Config) *Org {
	cfg = cfg.withDefaults()
	o := &Org{
		ID:       cfg.Org,
		Config:   cfg,
		Epoch:    Epoch,
		LoadTime: Epoch.Add(-LoadLead),
	}
	r := rand.New(rand.NewPCG(cfg.Seed, streamStructure))
	o.buildDepartments(r)
	o.buildRoles(r)
	o.buildUsers(r)
	o.buildSubjects()
	o.buildMemberships()
	o.buildEntities(r)
	o.buildFolders(rand.New(rand.NewPCG(cfg.Seed, streamFolders)))
	o.buildGrants(rand.New(rand.NewPCG(cfg.Seed, streamGrants)),
		rand.New(rand.NewPCG(cfg.Seed, streamFolderGrants)),
		rand.New(rand.NewPCG(cfg.Seed, streamDenies)))
	return o
}

// spread returns a count between half and one and a half times mean, at
// least lo.
func spread(r *rand.Rand, mean, lo int) int {
	n := mean/2 + r.IntN(mean+1)
	return max(n, lo)
}

// buildDepartments grows the tree level by level, parents before children.
func (o *Org) buildDepartments(r *rand.Rand) {
	cfg, c := o.Config, &o.c
	level := []int32{-1} // a virtual root above the top departments
	for depth := 1; depth <= cfg.DeptDepth; depth++ {
		var next []int32
		for _, parent := range level {
			kids := spread(r, cfg.DeptFanout, 1)
			for k := range kids {
				d := int32(len(o.Departments))
				dep := Department{Depth: depth}
				if parent < 0 {
					dep.ID = fmt.Sprintf("dept-%d", k+1)
				} else {
					dep.ID = fmt.Sprintf("%s.%d", o.Departments[parent].ID, k+1)
					dep.Parent = o.Departments[parent].ID
					c.deptChildren[parent] = append(c.deptChildren[parent], d)
				}
				o.Departments = append(o.Departments, dep)
				c.deptParent = append(c.deptParent, parent)
				c.deptChildren = append(c.deptChildren, nil)
				next = append(next, d)
			}
		}
		level = next
	}
	c.leaves = level
	c.depts = len(o.Departments)
}

// buildRoles names the roles and lets about a third of them include one or
// two later roles (a senior role carrying a junior role's access), which
// keeps the graph acyclic.
func (o *Org) buildRoles(r *rand.Rand) {
	c := &o.c
	c.roles = o.Config.Roles
	c.roleIncludes = make([][]int32, c.roles)
	for i := range c.roles {
		o.Roles = append(o.Roles, fmt.Sprintf("role-%04d", i+1))
		later := c.roles - i - 1
		if later == 0 {
			continue
		}
		n := 0
		switch p := r.Float64(); {
		case p < 0.10:
			n = 2
		case p < 0.35:
			n = 1
		}
		for range min(n, later) {
			j := int32(i + 1 + r.IntN(later))
			if !slices.Contains(c.roleIncludes[i], j) {
				c.roleIncludes[i] = append(c.roleIncludes[i], j)
			}
		}
	}
}

// buildUsers gives each user leaf departments, mostly close together in the
// tree (a team and a neighbouring project team), and roles, some more
// popular than others; external users get no department and at most one
// role.
func (o *Org) buildUsers(r *rand.Rand) {
	cfg, c := o.Config, &o.c
	c.users = cfg.Users
	c.userDepts = make([][]int32, c.users)
	c.userRoles = make([][]int32, c.users)
	c.leafUsers = make([][]int32, c.depts)
	rolePerm := r.Perm(c.roles)
	roleZipf := rand.NewZipf(r, 1.1, 20, uint64(c.roles-1))
	for u := range c.users {
		o.Users = append(o.Users, fmt.Sprintf("user-%06d", u+1))
		if r.Float64() < cfg.ExternalShare {
			if r.IntN(2) == 1 {
				c.userRoles[u] = []int32{int32(rolePerm[roleZipf.Uint64()])}
			}
			continue
		}
		primary := c.leaves[r.IntN(len(c.leaves))]
		depts := drawDistinct([]int32{primary}, 1+r.IntN(2*cfg.DeptsPerUser-1), func() int32 {
			return o.nearbyLeaf(r, primary)
		})
		c.userDepts[u] = depts
		for _, d := range depts {
			c.leafUsers[d] = append(c.leafUsers[d], int32(u))
		}
		c.userRoles[u] = drawDistinct(nil, r.IntN(2*cfg.RolesPerUser+1), func() int32 {
			return int32(rolePerm[roleZipf.Uint64()])
		})
	}
}

// drawDistinct appends values from draw to into until it holds want distinct
// values, giving up after 4*want draws so that a small pool cannot loop
// forever.
func drawDistinct(into []int32, want int, draw func() int32) []int32 {
	for try := 0; len(into) < want && try < 4*want; try++ {
		if v := draw(); !slices.Contains(into, v) {
			into = append(into, v)
		}
	}
	return into
}

// nearbyLeaf returns a leaf near from: a sibling, a cousin, or any leaf.
func (o *Org) nearbyLeaf(r *rand.Rand, from int32) int32 {
	c := &o.c
	up := 0
	switch p := r.Float64(); {
	case p < 0.60:
		up = 1
	case p < 0.85:
		up = 2
	default:
		return c.leaves[r.IntN(len(c.leaves))]
	}
	anc := from
	for range up {
		if c.deptParent[anc] < 0 {
			break
		}
		anc = c.deptParent[anc]
	}
	for c.deptChildren[anc] != nil {
		kids := c.deptChildren[anc]
		anc = kids[r.IntN(len(kids))]
	}
	return anc
}

// buildSubjects makes the model.Subject of every code once, so that grants
// and memberships share their strings.
func (o *Org) buildSubjects() {
	c := &o.c
	c.subjects = make([]model.Subject, 0, c.users+c.depts+c.roles)
	for _, u := range o.Users {
		c.subjects = append(c.subjects, model.User(u))
	}
	for _, d := range o.Departments {
		c.subjects = append(c.subjects, model.Department(d.ID))
	}
	for _, role := range o.Roles {
		c.subjects = append(c.subjects, model.Role(role))
	}
}

func (o *Org) buildMemberships() {
	c := &o.c
	n := c.depts
	for u := range c.users {
		n += len(c.userDepts[u]) + len(c.userRoles[u])
	}
	o.Memberships = make([]model.Membership, 0, n+c.roles)
	for d, p := range c.deptParent {
		if p >= 0 {
			o.Memberships = append(o.Memberships, model.Membership{
				Member: c.subjects[c.deptCode(int32(d))], Group: c.subjects[c.deptCode(p)]})
		}
	}
	for senior, juniors := range c.roleIncludes {
		for _, j := range juniors {
			o.Memberships = append(o.Memberships, model.Membership{
				Member: c.subjects[c.roleCode(int32(senior))], Group: c.subjects[c.roleCode(j)]})
		}
	}
	for u := range c.users {
		for _, d := range c.userDepts[u] {
			o.Memberships = append(o.Memberships, model.Membership{
				Member: c.subjects[u], Group: c.subjects[c.deptCode(d)]})
		}
		for _, role := range c.userRoles[u] {
			o.Memberships = append(o.Memberships, model.Membership{
				Member: c.subjects[u], Group: c.subjects[c.roleCode(role)]})
		}
	}
}

// defaultTypeWeights skews the default entity types: many knowledge slices,
// few fleets.
var defaultTypeWeights = []float64{0.35, 0.2, 0.2, 0.1, 0.15}

func (o *Org) buildEntities(r *rand.Rand) {
	types := o.Config.EntityTypes
	var weights []float64
	if slices.Equal(types, DefaultEntityTypes) {
		weights = defaultTypeWeights
	}
	o.Entities = make([]model.EntityRef, o.Config.Entities)
	for i := range o.Entities {
		t := r.IntN(len(types))
		if weights != nil {
			t = pickWeighted(r, weights)
		}
		o.Entities[i] = model.EntityRef{Type: types[t], ID: fmt.Sprintf("%s-%07d", types[t], i+1)}
	}
}

// pickWeighted returns an index of weights with probability proportional to
// its weight (the last index when all are zero).
func pickWeighted(r *rand.Rand, weights []float64) int {
	var total float64
	for _, w := range weights {
		total += max(w, 0)
	}
	x := r.Float64() * total
	for i, w := range weights {
		x -= max(w, 0)
		if x < 0 {
			return i
		}
	}
	return len(weights) - 1
}
