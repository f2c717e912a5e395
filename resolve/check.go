package resolve

import (
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// Check reports whether user has at least level on entity at time now: an
// active grant of level or more whose grantee is the user or a group the user
// reaches along memberships.
func Check(tx *store.ReadTxn, org, user string, entity model.EntityRef, level model.Level, now time.Time) (bool, error) {
	subjects, err := Subjects(tx, org, user)
	if err != nil {
		return false, err
	}
	allowed := false
	err = tx.ScanGrants(store.GrantScan{Org: org, Entity: entity}, func(_ string, g model.Grant) bool {
		if g.Level >= level && subjects[g.Grantee] && g.ActiveAt(now) {
			allowed = true
			return false
		}
		return true
	})
	return allowed, err
}

// Subjects returns the user and every group the user reaches along
// memberships.
func Subjects(tx *store.ReadTxn, org, user string) (map[model.Subject]bool, error) {
	start := model.User(user)
	seen := map[model.Subject]bool{start: true}
	queue := []model.Subject{start}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		err := tx.GroupsOf(org, cur, func(g model.Subject) bool {
			if !seen[g] {
				seen[g] = true
				queue = append(queue, g)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	return seen, nil
}
