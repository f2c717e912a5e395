package gen

import (
	"math/rand/v2"

	"github.com/grantdb/grantdb/model"
)

// index is what the oracle needs beyond the generated data: names to codes,
// each subject's grants, each group's users. It is built once, on first use.
type index struct {
	user   map[string]int32
	entity map[model.EntityRef]int32
	// up[code] are the groups the subject is a direct member of.
	up [][]int32
	// subjectGrants[code] are the grant numbers whose grantee is code.
	subjectGrants [][]int32
	// groupUsers[code-users] are the users who reach the group.
	groupUsers [][]int32
}

func (o *Org) index() *index {
	o.indexOnce.Do(func() { o.ix = o.buildIndex() })
	return o.ix
}

func (o *Org) buildIndex() *index {
	c := &o.c
	n := c.users + c.depts + c.roles
	ix := &index{
		user:          make(map[string]int32, c.users),
		entity:        make(map[model.EntityRef]int32, len(o.Entities)),
		up:            make([][]int32, n),
		subjectGrants: make([][]int32, n),
		groupUsers:    make([][]int32, c.depts+c.roles),
	}
	for u, name := range o.Users {
		ix.user[name] = int32(u)
	}
	for i, e := range o.Entities {
		ix.entity[e] = int32(i)
	}
	down := make([][]int32, n)
	link := func(member, group int32) {
		ix.up[member] = append(ix.up[member], group)
		down[group] = append(down[group], member)
	}
	for d, p := range c.deptParent {
		if p >= 0 {
			link(c.deptCode(int32(d)), c.deptCode(p))
		}
	}
	for senior, juniors := range c.roleIncludes {
		for _, j := range juniors {
			link(c.roleCode(int32(senior)), c.roleCode(j))
		}
	}
	for u := range c.users {
		for _, d := range c.userDepts[u] {
			link(int32(u), c.deptCode(d))
		}
		for _, role := range c.userRoles[u] {
			link(int32(u), c.roleCode(role))
		}
	}
	for g, rec := range c.grants {
		ix.subjectGrants[rec.subject] = append(ix.subjectGrants[rec.subject], int32(g))
	}
	// Each group's users: breadth-first down its members.
	seen := newMarks(n)
	for group := int32(c.users); group < int32(n); group++ {
		seen.reset()
		queue := []int32{group}
		seen.add(group)
		var users []int32
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, m := range down[cur] {
				if !seen.add(m) {
					continue
				}
				if c.isUser(m) {
					users = append(users, m)
				} else {
					queue = append(queue, m)
				}
			}
		}
		ix.groupUsers[group-int32(c.users)] = users
	}
	return ix
}

// marks is a set of small integers that empties in O(1).
type marks struct {
	gen  uint32
	mark []uint32
}

func newMarks(n int) *marks { return &marks{gen: 1, mark: make([]uint32, n)} }

func (m *marks) reset() { m.gen++ }

// add adds i and reports whether it was new.
func (m *marks) add(i int32) bool {
	if m.mark[i] == m.gen {
		return false
	}
	m.mark[i] = m.gen
	return true
}

// closure returns the user's subjects: the user and every group reachable
// along memberships.
func (o *Org) closure(u int32) []int32 {
	ix := o.index()
	subjects := []int32{u}
	for i := 0; i < len(subjects); i++ {
		for _, g := range ix.up[subjects[i]] {
			if !containsInt32(subjects, g) {
				subjects = append(subjects, g)
			}
		}
	}
	return subjects
}

func containsInt32(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Level returns the user's effective level on the entity at Epoch, computed
// naively: the highest level among the entity's active grants whose grantee
// is one of the user's subjects. An unknown user or entity has LevelNone.
func (o *Org) Level(user string, entity model.EntityRef) model.Level {
	ix := o.index()
	u, ok := ix.user[user]
	if !ok {
		return model.LevelNone
	}
	e, ok := ix.entity[entity]
	if !ok {
		return model.LevelNone
	}
	return o.levelOf(o.closure(u), e)
}

func (o *Org) levelOf(subjects []int32, e int32) model.Level {
	c := &o.c
	best := model.LevelNone
	for _, rec := range c.grants[c.entityGrants[e]:c.entityGrants[e+1]] {
		if rec.active && rec.level > best && containsInt32(subjects, rec.subject) {
			best = rec.level
		}
	}
	return best
}

// Reach returns how many entities the user can read at Epoch (what
// ResolvedAccess lists with MinLevel read). An unknown user reaches none.
func (o *Org) Reach(user string) int {
	u, ok := o.index().user[user]
	if !ok {
		return 0
	}
	return o.reach(u, newMarks(len(o.Entities)))
}

func (o *Org) reach(u int32, seen *marks) int {
	ix, c := o.index(), &o.c
	seen.reset()
	n := 0
	for _, s := range o.closure(u) {
		for _, g := range ix.subjectGrants[s] {
			if rec := c.grants[g]; rec.active && seen.add(rec.entity) {
				n++
			}
		}
	}
	return n
}

// Audience returns how many users can read the entity at Epoch (what
// UsersWithAccess lists with read). An unknown entity has none.
func (o *Org) Audience(entity model.EntityRef) int {
	e, ok := o.index().entity[entity]
	if !ok {
		return 0
	}
	return o.audience(e, newMarks(o.c.users))
}

func (o *Org) audience(e int32, seen *marks) int {
	ix, c := o.index(), &o.c
	seen.reset()
	n := 0
	for _, rec := range c.grants[c.entityGrants[e]:c.entityGrants[e+1]] {
		if !rec.active {
			continue
		}
		if c.isUser(rec.subject) {
			if seen.add(rec.subject) {
				n++
			}
			continue
		}
		for _, u := range ix.groupUsers[rec.subject-int32(c.users)] {
			if seen.add(u) {
				n++
			}
		}
	}
	return n
}

// pickScan is how many candidates UserWithReach and EntityWithAudience look
// at, at most, before settling for the closest found.
const pickScan = 20_000

// UserWithReach returns a user who can read about n entities at Epoch, and
// exactly how many: the first, in a fixed pseudo-random order, within 5% of
// n, or else the closest among the first pickScan users. The answer is
// deterministic for the Org.
func (o *Org) UserWithReach(n int) (user string, reach int) {
	seen := newMarks(len(o.Entities))
	best := closest{want: n, at: -1}
	for _, u := range o.pickOrder(o.c.users, 1) {
		if best.offer(u, o.reach(int32(u), seen)) {
			break
		}
	}
	if best.at < 0 {
		return "", 0
	}
	return o.Users[best.at], best.got
}

// EntityWithAudience returns an entity that about n users can read at
// Epoch, and exactly how many: the first, in a fixed pseudo-random order,
// within 5% of n, or else the closest among the first pickScan entities.
// The answer is deterministic for the Org.
func (o *Org) EntityWithAudience(n int) (entity model.EntityRef, audience int) {
	seen := newMarks(o.c.users)
	best := closest{want: n, at: -1}
	for _, e := range o.pickOrder(len(o.Entities), 2) {
		if best.offer(e, o.audience(int32(e), seen)) {
			break
		}
	}
	if best.at < 0 {
		return model.EntityRef{}, 0
	}
	return o.Entities[best.at], best.got
}

// pickOrder returns up to pickScan numbers below n in a pseudo-random order
// fixed by the seed and which.
func (o *Org) pickOrder(n int, which uint64) []int {
	r := rand.New(rand.NewPCG(o.Config.Seed, streamPick<<8|which))
	p := r.Perm(n)
	return p[:min(n, pickScan)]
}

// closest keeps the candidate whose value is closest to want.
type closest struct {
	want, at, got int
}

// offer considers candidate i with value v and reports whether it is close
// enough (within 5%) to stop looking.
func (b *closest) offer(i, v int) bool {
	if b.at < 0 || abs(v-b.want) < abs(b.got-b.want) {
		b.at, b.got = i, v
	}
	return abs(b.got-b.want)*20 <= b.want
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
