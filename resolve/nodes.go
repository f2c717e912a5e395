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
	// reaches along memberships. Users have none here: a user's closure
	// (the sorted set of every group it reaches, the union of its parents'
	// ancestors) is held in its subject map value (subjectVal), where Check
	// reads it and no group. A membership change recomputes the sets of
	// the groups below it and the closures of their users (members).
	ancestors []sid
	// inline holds a user's parents or a group's ancestors when they fit.
	inline [inlineSids]sid
	id     sid
	orgNum uint32 // the org's number in the names map
	// children are the groups that are direct members of this group, and
	// members the users that are (groups only): what a change of the
	// group's ancestors reaches.
	children []sid
	members  []sid
	org      string
	subject  model.Subject
}

const inlineSids = 8

func (n *node) isGroup() bool { return n.subject.Type.IsGroup() }

// key returns the node's key and hash in the subject map.
func (n *node) key() (uint64, mapKey) {
	return hashSubject(n.org, n.subject.ID), mapKey{n.orgNum, subjectTypeCode(n.subject.Type), keyIDOf(n.subject.ID)}
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
	c.members = slices.Clone(n.members)
	if n.isGroup() {
		c.parents = slices.Clone(n.parents)
		c.setAncestors(n.ancestors)
	} else if len(n.parents) <= inlineSids {
		c.parents = append(c.inline[:0:inlineSids], n.parents...)
	} else {
		c.parents = slices.Clone(n.parents)
	}
	// A user's closure is replaced, never written in place, so the copy
	// may share it.
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
