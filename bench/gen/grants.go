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

// buildGrants gives each entity an owner (a user, who gets admin), the
// owner's team (a leaf department) and grants drawn around them: users of
// the team or popular users elsewhere, the team or a department above it,
// popular roles.
func (o *Org) buildGrants(r *rand.Rand) {
	cfg, c := o.Config, &o.c
	mix := []float64{cfg.Mix.User, cfg.Mix.Department, cfg.Mix.Role}
	hotUsers := r.Perm(c.users)
	userZipf := rand.NewZipf(r, 1.1, 8, uint64(c.users-1))
	rolePerm := r.Perm(c.roles)
	roleZipf := rand.NewZipf(r, 1.1, 20, uint64(c.roles-1))

	c.entityGrants = make([]int32, 0, len(o.Entities)+1)
	c.grants = make([]grantRec, 0, len(o.Entities)*cfg.GrantsPerEntity*11/10)
	o.Grants = make([]model.GrantInput, 0, cap(c.grants))
	var grantees []int32
	for e := range o.Entities {
		c.entityGrants = append(c.entityGrants, int32(len(c.grants)))
		owner := int32(r.IntN(c.users))
		var team int32
		if depts := c.userDepts[owner]; len(depts) > 0 {
			team = depts[0]
		} else { // an external owner: the team they work for
			team = c.leaves[r.IntN(len(c.leaves))]
		}
		grantees = append(grantees[:0], owner)
		o.addGrant(r, int32(e), owner, model.LevelAdmin, owner)
		want := spread(r, cfg.GrantsPerEntity, 1)
		for try := 0; len(grantees) < want && try < 4*want; try++ {
			var g int32
			switch pickWeighted(r, mix) {
			case kindUser:
				if members := c.leafUsers[team]; r.Float64() < 0.7 && len(members) > 0 {
					g = members[r.IntN(len(members))]
				} else {
					g = int32(hotUsers[userZipf.Uint64()])
				}
			case kindDept:
				d := team
				for range pickWeighted(r, cfg.DeptLevelWeights) {
					if c.deptParent[d] >= 0 {
						d = c.deptParent[d]
					}
				}
				g = c.deptCode(d)
			default:
				g = c.roleCode(int32(rolePerm[roleZipf.Uint64()]))
			}
			if slices.Contains(grantees, g) {
				continue
			}
			grantees = append(grantees, g)
			o.addGrant(r, int32(e), g, o.level(r, g), owner)
		}
	}
	c.entityGrants = append(c.entityGrants, int32(len(c.grants)))
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

func (o *Org) addGrant(r *rand.Rand, entity, grantee int32, level model.Level, by int32) {
	c := &o.c
	from, to := o.window(r)
	in := model.GrantInput{
		Entity:        o.Entities[entity],
		Grantee:       c.subjects[grantee],
		Level:         level,
		GrantedBy:     o.Users[by],
		EffectiveFrom: from,
		EffectiveTo:   to,
	}
	o.Grants = append(o.Grants, in)
	active := (from.IsZero() || !o.Epoch.Before(from)) && (to.IsZero() || o.Epoch.Before(to))
	c.grants = append(c.grants, grantRec{entity: entity, subject: grantee, level: level, active: active})
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
