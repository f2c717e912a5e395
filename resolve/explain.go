package resolve

import (
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// closure is a user's subjects — the user and every group reachable along
// memberships — each with the chain that explains it.
//
// A subject's chain is the shortest one from the user; among shortest chains
// the least in chain order: chains compare subject by subject from the user
// on, and subjects compare by Type bytes, then ID bytes (so "department" <
// "role", and "ab" < "b"). Breadth-first search finds exactly that chain when
// each level is visited in chain order: a subject is first reached from the
// least-ordered subject of the level above, and the next level is ordered by
// that parent's rank, then by the subject itself.
type closure struct {
	ix   *Index
	user sid
	// m answers applies as Check does, from the groups' ancestor sets,
	// without a map probe per entry; uv is the user's map value it reads.
	m  matcher
	uv subjectVal
	// via maps each subject to the subject before it on its chain (the user
	// maps to 0).
	via   map[sid]sid
	order []sid // breadth-first, in chain order
	// level and next are the search's working sets, kept so that a closure
	// refilled for user after user (UsersWithAccess) allocates nothing once
	// it has grown.
	level []sid
	next  []reached
}

// reached is a subject found by the search, with the rank of the subject it
// was first reached from.
type reached struct {
	s    sid
	rank int
}

// closureOf returns user's closure in org, or nil for a user the index does
// not know.
func (ix *Index) closureOf(org, user string) *closure {
	c := &closure{via: make(map[sid]sid)}
	if !ix.fillClosure(c, org, user) {
		return nil
	}
	return c
}

// fillClosure makes c user's closure in org, reusing its map and slices, and
// reports whether the index knows user (c is left empty when not).
func (ix *Index) fillClosure(c *closure, org, user string) bool {
	clear(c.via)
	c.ix = ix
	c.order = c.order[:0]
	c.uv = ix.user(org, user)
	c.m = userMatcher(&c.uv)
	if c.uv.node == nil {
		c.user = 0
		return false
	}
	uid := c.uv.id
	c.user = uid
	c.via[uid] = 0
	c.order = append(c.order, uid)
	level := append(c.level[:0], uid)
	for len(level) > 0 {
		next := c.next[:0]
		for rank, s := range level {
			for _, p := range ix.nodes.get(s).parents {
				if _, ok := c.via[p]; !ok {
					c.via[p] = s
					next = append(next, reached{p, rank})
				}
			}
		}
		slices.SortFunc(next, func(a, b reached) int {
			if a.rank != b.rank {
				return a.rank - b.rank
			}
			return compareSubjects(ix.nodes.get(a.s).subject, ix.nodes.get(b.s).subject)
		})
		level = level[:0]
		for _, r := range next {
			level = append(level, r.s)
			c.order = append(c.order, r.s)
		}
		c.next = next
	}
	c.level = level
	return true
}

// compareSubjects orders subjects by Type bytes, then ID bytes.
func compareSubjects(a, b model.Subject) int {
	if c := strings.Compare(string(a.Type), string(b.Type)); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func (c *closure) applies(e *entry) bool { return c.m.applies(e) }

// chain returns the chain from the user to s, which must be in the closure,
// in a slice taken from buf.
func (c *closure) chain(s sid, buf *pathBuf) []model.Subject {
	ix := c.ix
	n := 1
	for x := s; x != c.user; x = c.via[x] {
		n++
	}
	out := buf.takeSubjects(n)
	for x := s; ; x = c.via[x] {
		n--
		out[n] = ix.nodes.get(x).subject
		if x == c.user {
			break
		}
	}
	return out
}

// Resolve returns user's effective level on entity in org at now (unix
// nanoseconds), with one Path per active applying allow that gives that
// level and one per deny that took a level away (see Decision). An unknown
// user or entity gets LevelNone and no paths.
//
// Each Path's Chain is the shortest chain of memberships from the user to the
// grant's grantee; among equally short chains, the least one when chains are
// compared subject by subject from the user on, each subject by its Type
// bytes, then its ID bytes. Each Path's Entities is the shortest chain of
// links from the entity up to the grant's, ties broken alike. Paths are
// sorted by grant id.
func (ix *Index) Resolve(org, user string, entity model.EntityRef, now int64) Decision {
	d := Decision{Entity: entity}
	if ix == nil {
		return d
	}
	var ec entityClosure
	ix.fillEntityClosure(&ec, org, entity)
	if !ec.hasEntries() {
		return d
	}
	c := ix.closureOf(org, user)
	if c == nil {
		return d
	}
	d.Level, d.Via, d.Denied = ix.decideOver(&ec, c, now, nil)
	return d
}
