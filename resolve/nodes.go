package resolve

import (
	"slices"

	"github.com/grantdb/grantdb/model"
)

// sid is an interned subject (a user, a department or a role of one
// organisation). Sids start at 1 and are never reused; 0 means "none".
type sid = uint32

// node is what the index knows about one subject. It is immutable once
// published: a commit that changes a subject replaces its node.
//
// The fields Check reads come first, and small sets live in the node itself
// (inline), so that Check pays one cache miss per node, not two: a user's
// parents, a group's ancestors.
type node struct {
	// parents are the groups the subject is a direct member of.
	parents []sid
	// ancestors is, for a group, the sorted set of itself and every group it
	// reaches along memberships. Users have none: a user's subjects are the
	// user and the ancestors of its parents, so that a membership change
	// recomputes only the sets of the groups below it, never a user's.
	ancestors []sid
	// inline holds a user's parents or a group's ancestors when they fit.
	inline [inlineSids]sid
	id     sid
	// children are the groups that are direct members of this group
	// (groups only; user members are read from the store when listing).
	children []sid
	org      string
	subject  model.Subject
}

const inlineSids = 8

// ancSet is a group's ancestor set as Check reads it: up to len(s) sids
// inline, 32 bytes, two to a cache line; n is tooMany when the set does not
// fit, and then the group's node holds it.
type ancSet struct {
	n uint32
	s [7]sid
}

const tooMany = ^uint32(0)

func ancSetOf(set []sid) ancSet {
	var a ancSet
	if len(set) > len(a.s) {
		a.n = tooMany
		return a
	}
	a.n = uint32(copy(a.s[:], set))
	return a
}

func (n *node) isGroup() bool { return n.subject.Type.IsGroup() }

// key returns the node's key and hash in the subject map.
func (n *node) key() (uint64, subjectKey) {
	return hashSubject(n.org, n.subject.ID), subjectKey{n.org, n.subject.Type, n.subject.ID}
}

// setAncestors makes set the group's ancestors, inline when it fits.
func (n *node) setAncestors(set []sid) {
	if len(set) <= inlineSids {
		n.ancestors = append(n.inline[:0:inlineSids], set...)
		return
	}
	n.ancestors = slices.Clip(set)
}

// clone copies n and its slices, so that the copy may be changed in place.
func (n *node) clone() *node {
	c := *n
	c.children = slices.Clone(n.children)
	if n.isGroup() {
		c.parents = slices.Clone(n.parents)
		c.setAncestors(n.ancestors)
	} else if len(n.parents) <= inlineSids {
		c.parents = append(c.inline[:0:inlineSids], n.parents...)
	} else {
		c.parents = slices.Clone(n.parents)
	}
	return &c
}

// hasAncestor reports whether g is in the group's ancestor set.
func (n *node) hasAncestor(g sid) bool {
	_, ok := slices.BinarySearch(n.ancestors, g)
	return ok
}

// nodeVec holds the nodes by sid.
type nodeVec = ptrVec[node]

type nodeVecBuilder = ptrVecBuilder[node]

func newNodeVecBuilder(v nodeVec) *nodeVecBuilder { return newPtrVecBuilder(v) }
