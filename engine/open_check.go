package engine

import (
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// FieldPath names the path of WithPath in the errors of Open.
const FieldPath = "path"

// checkConfig refuses options that would silently mean something else: an
// empty WithPath would otherwise open an in-memory engine, and lose every
// write at Close.
func checkConfig(cfg *config) error {
	if cfg.persist.pathSet && cfg.persist.path == "" {
		return model.NewError(model.CodeValidation, FieldPath,
			"path must not be empty: leave WithPath out for an in-memory engine")
	}
	if cfg.log != nil && !cfg.persist.syncSet {
		cfg.persist.sync = SyncEverySecond // see WithSync
	}
	return nil
}

// checkStoredTypes refuses a loaded database holding grants on entity types
// the validator does not allow (WithEntityTypes narrower than the types
// stored): every call on them would fail later, so Open fails now, naming
// them.
func (e *Engine) checkStoredTypes(snap *store.Snapshot) error {
	if len(e.cfg.entityTypes) == 0 {
		return nil // any well-formed type is allowed, and stored ones were checked when written
	}
	bad := map[string]bool{}
	err := snap.Read().EachGrant(func(g *model.Grant) bool {
		if !bad[g.Entity.Type] && e.val.EntityType(g.Entity.Type) != nil {
			bad[g.Entity.Type] = true
		}
		return true
	})
	if err != nil {
		return err
	}
	if len(bad) == 0 {
		return nil
	}
	types := make([]string, 0, len(bad))
	for t := range bad {
		types = append(types, "'"+t+"'")
	}
	slices.Sort(types)
	return model.NewError(model.CodeValidation, model.FieldEntityType,
		"entity_type must include %s: the database holds grants on them", strings.Join(types, ", "))
}
