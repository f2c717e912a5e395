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
		entity:        make(map[model.EntityRef]int32, len(o.Entities)+len(o.Folders)),
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
	for i, f := range o.Folders {
		ix.entity[f] = int32(c.entities + i)
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

// has reports whether i is in the set.
func (m *marks) has(i int32) bool { return m.mark[i] == m.gen }

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

// Level returns the user's effective level on the entity (or folder) at
// Epoch, computed naively as docs/design.md §2.10–2.11 define it: the
// highest active allow on the entity or a folder above it whose grantee is
// one of the user's subjects, capped below the lowest such deny. An unknown
// user or entity has LevelNone.
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
	return o.decide(o.closure(u), e).level
}

// verdict is the oracle's answer for a user's subjects on an entity.
type verdict struct {
	level model.Level
	// allowed is the highest applying allow, before denies cap it.
	allowed model.Level
	// deny reports that an active deny applies; inherited, that an active
	// grant (allow or deny) on a folder above the entity applies.
	deny, inherited bool
}

// decide is the naive oracle: every active grant on the entity and the
// folders above it, linear over each one's grants.
func (o *Org) decide(subjects []int32, e int32) verdict {
	return o.decideOn(subjects, e, o.ancestors(e))
}

// decideOn is decide over the grants of the entity codes in on only (e and
// some of the folders above it).
func (o *Org) decideOn(subjects []int32, e int32, on []int32) verdict {
	c := &o.c
	var v verdict
	lowestDeny := model.LevelAdmin + 1
	for _, a := range on {
		for _, g := range c.grantsOf[a] {
			rec := c.grants[g]
			if !rec.active || !containsInt32(subjects, rec.subject) {
				continue
			}
			if a != e {
				v.inherited = true
			}
			if rec.deny {
				v.deny = true
				lowestDeny = min(lowestDeny, rec.level)
			} else {
				v.allowed = max(v.allowed, rec.level)
			}
		}
	}
	v.level = min(v.allowed, lowestDeny-1)
	return v
}

// Reach returns how many entities and folders the user can read at Epoch
// (what ResolvedAccess lists with MinLevel read). An unknown user reaches
// none.
func (o *Org) Reach(user string) int {
	u, ok := o.index().user[user]
	if !ok {
		return 0
	}
	return o.reach(u, newMarks(len(o.Entities)+len(o.Folders)))
}

// reach counts what the user can read: every entity an active allow of one
// of its subjects names, and everything below it, that no deny takes read
// from.
func (o *Org) reach(u int32, seen *marks) int {
	ix, c := o.index(), &o.c
	seen.reset()
	subjects := o.closure(u)
	n := 0
	var stack []int32
	for _, s := range subjects {
		for _, g := range ix.subjectGrants[s] {
			rec := c.grants[g]
			if !rec.active || rec.deny {
				continue
			}
			stack = append(stack[:0], rec.entity)
			for len(stack) > 0 {
				e := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if !seen.add(e) {
					continue
				}
				if o.decide(subjects, e).level >= model.LevelRead {
					n++
				}
				stack = append(stack, c.entityChildren[e]...)
			}
		}
	}
	return n
}

// Audience returns how many users can read the entity (or folder) at Epoch
// (what UsersWithAccess lists with read). An unknown entity has none.
func (o *Org) Audience(entity model.EntityRef) int {
	e, ok := o.index().entity[entity]
	if !ok {
		return 0
	}
	return o.audience(e, newMarks(o.c.users), newMarks(o.c.users))
}

// audience counts the users an active allow on the entity or above it
// reaches, less those an active deny at read reaches (a deny at write
// leaves read).
func (o *Org) audience(e int32, seen, denied *marks) int {
	c := &o.c
	seen.reset()
	denied.reset()
	ancestors := o.ancestors(e)
	for _, a := range ancestors {
		for _, g := range c.grantsOf[a] {
			if rec := c.grants[g]; rec.active && rec.deny && rec.level == model.LevelRead {
				o.eachUser(rec.subject, func(u int32) { denied.add(u) })
			}
		}
	}
	n := 0
	for _, a := range ancestors {
		for _, g := range c.grantsOf[a] {
			if rec := c.grants[g]; rec.active && !rec.deny {
				o.eachUser(rec.subject, func(u int32) {
					if !denied.has(u) && seen.add(u) {
						n++
					}
				})
			}
		}
	}
	return n
}

// eachUser calls fn with the subject if it is a user, or with every user
// who reaches the group.
func (o *Org) eachUser(subject int32, fn func(u int32)) {
	c := &o.c
	if c.isUser(subject) {
		fn(subject)
		return
	}
	for _, u := range o.index().groupUsers[subject-int32(c.users)] {
		fn(u)
	}
}

// pickScan is how many candidates UserWithReach and EntityWithAudience look
// at, at most, before settling for the closest found.
const pickScan = 20_000

// UserWithReach returns a user who can read about n entities at Epoch, and
// exactly how many: the first, in a fixed pseudo-random order, within 5% of
// n, or else the closest among the first pickScan users. The answer is
// deterministic for the Org.
func (o *Org) UserWithReach(n int) (user string, reach int) {
	seen := newMarks(len(o.Entities) + len(o.Folders))
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
	seen, denied := newMarks(o.c.users), newMarks(o.c.users)
	best := closest{want: n, at: -1}
	for _, e := range o.pickOrder(len(o.Entities), 2) {
		if best.offer(e, o.audience(int32(e), seen, denied)) {
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
