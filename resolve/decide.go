package resolve

import (
	"cmp"
	"slices"

	"github.com/grantdb/grantdb/model"
)

// subjects is the user a decision is for, as decideOver reads it: which
// entries reach the user, and the chain along which one does. A closure
// (explain.go) is one; UsersWithAccess decides user after user with a
// cheaper one (lists.go).
type subjects interface {
	applies(e *entry) bool
	// chain returns the chain from the user to grantee, which applies, in
	// a slice taken from buf.
	chain(grantee sid, buf *pathBuf) []model.Subject
}

// applying is one active entry that reaches the user, on the entity at pos
// of an entityClosure.
type applying struct {
	e   *entry
	g   *model.Grant
	pos int32
}

// decideOver returns the user's decision on the entity of ec at now: the
// level (the highest allow, capped below the lowest deny), in via every
// applying allow whose capped level is that level, and in denied every
// applying deny at or below the highest allow, each sorted by grant id. The
// paths, chains and entity chains are taken from buf (nil: allocated on
// their own).
func (ix *Index) decideOver(ec *entityClosure, c subjects, now int64, buf *pathBuf) (model.Level, []Path, []Path) {
	highest, lowestDeny := model.LevelNone, noDeny
	var found []applying
	var inline [8]applying
	found = inline[:0]
	for pos := range ec.up {
		r := ec.up[pos].rec
		if r == nil {
			continue
		}
		for i := range r.entries {
			e := &r.entries[i]
			if !r.active(i, now) || !c.applies(e) {
				continue
			}
			if e.effect == effectDeny {
				lowestDeny = min(lowestDeny, e.level)
			} else {
				highest = max(highest, e.level)
			}
			found = append(found, applying{e, r.grants[i], int32(pos)})
		}
	}
	level := highest
	if lowestDeny != noDeny {
		level = min(level, capLevel(lowestDeny))
	}
	if level == model.LevelNone && highest == model.LevelNone {
		return level, nil, nil
	}
	nVia, nDenied := 0, 0
	for _, a := range found {
		switch {
		case a.e.effect == effectDeny:
			if a.e.level <= highest {
				nDenied++
			}
		case level > model.LevelNone && min(a.e.level, level) == level:
			nVia++
		}
	}
	var via, denied []Path
	if nVia > 0 {
		via = buf.takePaths(nVia)[:0]
	}
	if nDenied > 0 {
		denied = buf.takePaths(nDenied)[:0]
	}
	for _, a := range found {
		keep := false
		if a.e.effect == effectDeny {
			keep = a.e.level <= highest
		} else {
			keep = level > model.LevelNone && min(a.e.level, level) == level
		}
		if !keep {
			continue
		}
		p := Path{Grant: *a.g, Chain: c.chain(a.e.grantee, buf), Entities: ec.chain(a.pos, buf)}
		if a.e.effect == effectDeny {
			denied = append(denied, p)
		} else {
			via = append(via, p)
		}
	}
	byID := func(a, b Path) int { return cmp.Compare(a.Grant.ID, b.Grant.ID) }
	slices.SortFunc(via, byID)
	slices.SortFunc(denied, byID)
	return level, via, denied
}
