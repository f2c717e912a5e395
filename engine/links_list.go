package engine

import (
	"context"

	"github.com/grantdb/grantdb/model"
)

// Links returns every entity link of org in the published revision, ordered
// by child (type, then id), then parent: for tools that walk all of an
// organisation (the grantdb command's export and stats), as Memberships does
// for memberships. An invalid org is ErrValidation; an organisation with none
// returns an empty list.
func (e *Engine) Links(ctx context.Context, org string) ([]model.EntityLink, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return nil, err
	}
	var ls []model.EntityLink
	err = v.snap.Read().Links(org, func(l model.EntityLink) bool {
		ls = append(ls, l)
		return true
	})
	if err != nil {
		return nil, err
	}
	return ls, nil
}
