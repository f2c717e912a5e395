package gen

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/grantdb/grantdb/model"
)

// Grantee kinds, in GranteeMix order.
const (
	kindUser = iota
	kindDept
	kindRole
)

// drawer draws grantees around an owner and a team from one random stream:
// users of the team or popular users elsewhere, the team or a department
// above it, popular roles.
type drawer struct {
	r        *rand.Rand
	mix      []float64
	hotUsers []int
	userZipf *rand.Zipf
	rolePerm []int
	roleZipf *rand.Zipf
}

// newDrawer returns a drawer on r, whose popular users and roles are
// like's, or new ones when like is nil.
func (o *Org) newDrawer(r *rand.Rand, like *drawer) *drawer {
	cfg, c := o.Config, &o.c
	d := &drawer{r: r, mix: []float64{cfg.Mix.User, cfg.Mix.Department, cfg.Mix.Role}}
	if like != nil {
		d.hotUsers, d.rolePerm = like.hotUsers, like.rolePerm
	} else {
		d.hotUsers = r.Perm(c.users)
	}
	d.userZipf = rand.NewZipf(r, 1.1, 8, uint64(c.users-1))
	if like == nil {
		d.rolePerm = r.Perm(c.roles)
	}
	d.roleZipf = rand.NewZipf(r, 1.1, 20, uint64(c.roles-1))
	return d
}

// buildGrants gives each folder, then each entity, an owner (a user, who
// gets admin), the owner's team (a leaf department) and grants drawn around
// them; then, to some of them, a deny. Every other filed entity has a tenth
// fewer grants of its own, which about makes up for the folders' grants.
// Entities draw from r, folders from rf, denies from rd, so that an Org
// without folders and denies draws from r exactly as before they existed.
func (o *Org) buildGrants(r, rf, rd *rand.Rand) {
	cfg, c := o.Config, &o.c
	entityDraw := o.newDrawer(r, nil)
	n := c.entities + len(o.Folders)
	c.grantsOf = make([][]int32, n)
	c.grants = make([]grantRec, 0, c.entities*cfg.GrantsPerEntity*11/10)
	o.Grants = make([]model.GrantInput, 0, cap(c.grants))
	denyChance := min(1, cfg.DenyShare*float64(cfg.GrantsPerEntity))
	var grantees []int32
	if len(o.Folders) > 0 {
		folderDraw := o.newDrawer(rf, entityDraw)
		folderMeans := []int{2, 3, 4, 4} // by depth: few grants on a root, more on a leaf
		for f := range o.Folders {
			team := c.folderTeam[f]
			owner := int32(rf.IntN(c.users))
			if members := c.leafUsers[team]; len(members) > 0 {
				owner = members[rf.IntN(len(members))]
			}
			mean := folderMeans[c.folderDepth[f]-1]
			grantees = o.grantsOn(folderDraw, int32(c.entities+f), owner, team, mean, grantees[:0])
			if cfg.DenyShare > 0 && rd.Float64() < denyChance {
				o.addDeny(rd, int32(c.entities+f), owner)
			}
		}
	}
	filedMean := max(1, cfg.GrantsPerEntity*9/10)
	for e := range c.entities {
		owner := int32(r.IntN(c.users))
		var team int32
		if depts := c.userDepts[owner]; len(depts) > 0 {
			team = depts[0]
		} else { // an external owner: the team they work for
			team = c.leaves[r.IntN(len(c.leaves))]
		}
		mean := cfg.GrantsPerEntity
		if len(c.entityParents[e]) > 0 && e%2 == 0 {
			mean = filedMean
		}
		grantees = o.grantsOn(entityDraw, int32(e), owner, team, mean, grantees[:0])
		if cfg.DenyShare > 0 && rd.Float64() < denyChance {
			o.addDeny(rd, int32(e), owner)
		}
	}
}

// grantsOn gives entity e an admin grant to owner and grants to other
// grantees until it has about mean of them (spread around it; it gives up
// after four times as many draws), and returns the grantees in grantees.
func (o *Org) grantsOn(d *drawer, e, owner, team int32, mean int, grantees []int32) []int32 {
	cfg, c, r := o.Config, &o.c, d.r
	grantees = append(grantees, owner)
	o.addGrant(r, e, owner, model.LevelAdmin, owner, false)
	want := spread(r, mean, 1)
	for try := 0; len(grantees) < want && try < 4*want; try++ {
		var g int32
		switch pickWeighted(r, d.mix) {
		case kindUser:
			if members := c.leafUsers[team]; r.Float64() < 0.7 && len(members) > 0 {
				g = members[r.IntN(len(members))]
			} else {
				g = int32(d.hotUsers[d.userZipf.Uint64()])
			}
		case kindDept:
			dept := team
			for range pickWeighted(r, cfg.DeptLevelWeights) {
				if c.deptParent[dept] >= 0 {
					dept = c.deptParent[dept]
				}
			}
			g = c.deptCode(dept)
		default:
			g = c.roleCode(int32(d.rolePerm[d.roleZipf.Uint64()]))
		}
		if slices.Contains(grantees, g) {
			continue
		}
		grantees = append(grantees, g)
		o.addGrant(r, e, g, o.level(r, g), owner, false)
	}
	return grantees
}

// addDeny adds one deny on entity e, an exception to a department's allow
// on it or on a folder above it: mostly a user of that department denied
// write (left with read) or everything, sometimes a leaf department below it
// denied likewise. An entity without such an allow gets no deny.
func (o *Org) addDeny(r *rand.Rand, e, owner int32) {
	c := &o.c
	var depts []int32
	for _, a := range o.ancestors(e) {
		for _, g := range c.grantsOf[a] {
			if rec := c.grants[g]; !rec.deny && c.isDept(rec.subject) {
				depts = append(depts, rec.subject-int32(c.users))
			}
		}
	}
	if len(depts) == 0 {
		return
	}
	leaf := depts[r.IntN(len(depts))]
	for len(c.deptChildren[leaf]) > 0 {
		kids := c.deptChildren[leaf]
		leaf = kids[r.IntN(len(kids))]
	}
	grantee := c.deptCode(leaf)
	if members := c.leafUsers[leaf]; r.Float64() < 0.7 && len(members) > 0 {
		grantee = members[r.IntN(len(members))]
	}
	if grantee == owner {
		return
	}
	level := model.LevelRead
	if r.IntN(2) == 1 {
		level = model.LevelWrite
	}
	o.addGrant(r, e, grantee, level, owner, true)
}

// level draws a grant level: users get write and admin more often than
// departments, whose grants are mostly read.
func (o *Org) level(r *rand.Rand, grantee int32) model.Level {
	weights := []float64{0.5, 0.35, 0.15} // roles
	switch {
	case o.c.isUser(grantee):
		weights = []float64{0.4, 0.4, 0.2}
	case grantee < int32(o.c.users+o.c.depts):
		weights = []float64{0.7, 0.25, 0.05}
	}
	return model.Level(1 + pickWeighted(r, weights))
}

func (o *Org) addGrant(r *rand.Rand, entity, grantee int32, level model.Level, by int32, deny bool) {
	c := &o.c
	from, to := o.window(r)
	in := model.GrantInput{
		Entity:        o.entityRef(entity),
		Grantee:       c.subjects[grantee],
		Level:         level,
		GrantedBy:     o.Users[by],
		EffectiveFrom: from,
		EffectiveTo:   to,
	}
	if deny {
		in.Effect = model.EffectDeny
	}
	o.Grants = append(o.Grants, in)
	active := (from.IsZero() || !o.Epoch.Before(from)) && (to.IsZero() || o.Epoch.Before(to))
	c.grantsOf[entity] = append(c.grantsOf[entity], int32(len(c.grants)))
	c.grants = append(c.grants, grantRec{entity: entity, subject: grantee, level: level, deny: deny, active: active})
}

// window draws a grant's window: most grants have none; of those that have
// one, most are active at Epoch, some have ended since LoadTime and some
// start after Epoch.
func (o *Org) window(r *rand.Rand) (from, to time.Time) {
	if r.Float64() >= o.Config.WindowShare {
		return time.Time{}, time.Time{}
	}
	between := func(lo, hi time.Duration) time.Duration {
		return lo + time.Duration(r.Int64N(int64(hi-lo)))
	}
	const day = 24 * time.Hour
	switch p := r.Float64(); {
	case p < 0.70: // active: a contractor's access, a project's duration
		if r.Float64() < 0.6 {
			from = o.Epoch.Add(-between(time.Hour, 90*day))
		}
		to = o.Epoch.Add(between(time.Hour, 180*day))
	case p < 0.85: // ended after LoadTime, before Epoch
		from = o.LoadTime.Add(-between(time.Hour, 30*day))
		to = o.Epoch.Add(-between(time.Minute, LoadLead-time.Minute))
	default: // not started yet
		from = o.Epoch.Add(between(time.Hour, 30*day))
		if r.Float64() < 0.5 {
			to = from.Add(between(day, 90*day))
		}
	}
	return from.Truncate(time.Second), to.Truncate(time.Second)
}
