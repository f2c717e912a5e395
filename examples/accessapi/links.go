package main

import (
	"context"
	"net/http"

	"github.com/grantdb/grantdb/model"
)

// Entities inside entities, in the Aitronos conventions: PUT .../access/
// entities/{child_type}/{child_id}/parents/{parent_type}/{parent_id} puts
// the child inside the parent (LinkEntities), DELETE on the same path takes
// it out (UnlinkEntities); both answer 204, as the membership routes do.
// Grants on the parent, allows and denies, then apply to the child and to
// everything below it. Canopy's tree is given the same way, with nodes as
// entities of type node (README.md, "Canopy").

// linkPath is the link routes' path under the Aitronos prefix; its
// wildcards are named as the engine names the fields of a link, so that an
// error's field is the path parameter to blame.
const linkPath = "/entities/{child_type}/{child_id}/parents/{parent_type}/{parent_id}"

func linkOf(r *http.Request) model.EntityLink {
	return model.EntityLink{
		Child:  model.EntityRef{Type: r.PathValue("child_type"), ID: r.PathValue("child_id")},
		Parent: model.EntityRef{Type: r.PathValue("parent_type"), ID: r.PathValue("parent_id")},
	}
}

// changeLink serves PUT (change is LinkEntities: an existing link is a
// no-op; a link of an entity to itself, or one closing a cycle, is 409
// CONFLICT on parent_id) and DELETE (UnlinkEntities: removing a link that is
// not there is a no-op). A malformed side is 422 on child_type, child_id,
// parent_type or parent_id.
func (s *server) changeLink(change func(ctx context.Context, org string, links ...model.EntityLink) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		org, err := s.orgOf(r, c)
		if err != nil {
			return err
		}
		if err := change(r.Context(), org, linkOf(r)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
