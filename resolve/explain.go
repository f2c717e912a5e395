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
	user sid
	// via maps each subject to the subject before it on its chain (the user
	// maps to 0).
	via   map[sid]sid
	order []sid // breadth-first, in chain order
}

// closureOf returns user's closure in org, or nil for a user the index does
// not know.
func (ix *Index) closureOf(org, user string) *closure {
	u := ix.subject(org, model.Subject{Type: model.SubjectUser, ID: user})
	if u == nil {
		return nil
	}
	uid := u.id
	c := &closure{user: uid, via: map[sid]sid{uid: 0}, order: []sid{uid}}
	type reached struct {
		s    sid
		rank int
	}
	level := []sid{uid}
	for len(level) > 0 {
		var next []reached
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
	}
	return c
}

// compareSubjects orders subjects by Type bytes, then ID bytes.
func compareSubjects(a, b model.Subject) int {
	if c := strings.Compare(string(a.Type), string(b.Type)); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func (c *closure) has(s sid) bool {
	_, ok := c.via[s]
	return ok
}

// chain returns the chain from the user to s, which must be in the closure.
func (ix *Index) chain(c *closure, s sid) []model.Subject {
	n := 1
	for x := s; x != c.user; x = c.via[x] {
		n++
	}
	out := make([]model.Subject, n)
	for x := s; ; x = c.via[x] {
		n--
		out[n] = ix.nodes.get(x).subject
		if x == c.user {
			break
		}
	}
	return out
}

// decide returns the user's level over an entity's entries at now, and one
// Path per active applying entry at that level, sorted by grant id.
func (ix *Index) decide(es []entry, c *closure, now int64) (model.Level, []Path) {
	level := model.LevelNone
	var via []Path
	for i := range es {
		e := &es[i]
		if e.level < level {
			break // sorted by level, highest first
		}
		if e.effect != effectAllow || !e.activeAt(now) || !c.has(e.grantee) {
			continue
		}
		level = e.level
		via = append(via, Path{Grant: *e.grant, Chain: ix.chain(c, e.grantee)})
	}
	slices.SortFunc(via, func(a, b Path) int { return strings.Compare(a.Grant.ID, b.Grant.ID) })
	return level, via
}

// Resolve returns user's effective level on entity in org at now (unix
// nanoseconds), with one Path per active applying grant at that level. An
// unknown user or entity gets LevelNone and no paths.
//
// Each Path's Chain is the shortest chain of memberships from the user to the
// grant's grantee; among equally short chains, the least one when chains are
// compared subject by subject from the user on, each subject by its Type
// bytes, then its ID bytes. Paths are sorted by grant id.
func (ix *Index) Resolve(org, user string, entity model.EntityRef, now int64) Decision {
	d := Decision{Entity: entity}
	if ix == nil {
		return d
	}
	es := ix.entries(org, entity)
	if len(es) == 0 {
		return d
	}
	c := ix.closureOf(org, user)
	if c == nil {
		return d
	}
	d.Level, d.Via = ix.decide(es, c, now)
	return d
}
