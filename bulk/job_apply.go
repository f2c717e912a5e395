package bulk

import (
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

// applyTxn applies the job's operation to one resource in tx. A step that
// cannot be applied (a bad resource, a bad input) writes nothing and returns
// its failures; err is for a write that failed, which aborts the commit.
func (r *JobRun) applyTxn(tx *store.WriteTxn, res model.EntityRef, now time.Time) (failures []model.Error, err error) {
	if r.spec.Operation == OpCreate {
		return r.createTxn(tx, res, now)
	}
	if err := r.v.Entity(res); err != nil {
		return []model.Error{jobStepError(err)}, nil
	}
	existing, err := jobGrantsOn(&tx.ReadTxn, r.org, res)
	if err != nil {
		return nil, err
	}
	switch r.spec.Operation {
	case OpRevoke:
		return nil, r.revokeTxn(tx, existing)
	case OpReplaceGrantees:
		return nil, r.replaceTxn(tx, res, existing, r.grantees, now)
	default: // OpReplaceAll
		return nil, r.replaceTxn(tx, res, existing, nil, now)
	}
}

// aceKey is what an ACL entry replaces: the grant of one grantee with one
// effect.
type aceKey struct {
	grantee model.Subject
	effect  model.Effect
}

// jobGrantsOn returns every grant stored on res, ended ones included.
func jobGrantsOn(tx *store.ReadTxn, org string, res model.EntityRef) ([]model.Grant, error) {
	var out []model.Grant
	err := tx.ScanGrants(store.GrantScan{Org: org, Entity: res}, func(_ string, g model.Grant) bool {
		out = append(out, g)
		return true
	})
	return out, err
}

// revokeTxn deletes the grants of the job's grantees (all when none are
// named) among existing.
func (r *JobRun) revokeTxn(tx *store.WriteTxn, existing []model.Grant) error {
	for _, g := range existing {
		if r.grantees != nil && !r.grantees[g.Grantee] {
			continue
		}
		if _, err := tx.DeleteGrant(g); err != nil {
			return err
		}
	}
	return nil
}

// replaceTxn makes the grants on res of the grantees in scope (all when
// scope is nil) exactly the job's ACL. A grant that survives keeps its id,
// window and creation time, and takes the entry's level; the others in
// scope are deleted; entries with no live grant get a new one, granted by
// the job's requester, with no window. Ended grants count as absent.
func (r *JobRun) replaceTxn(tx *store.WriteTxn, res model.EntityRef, existing []model.Grant, scope map[model.Subject]bool, now time.Time) error {
	// Entries are keyed by (grantee, effect): a grantee switched from allow
	// to deny loses its allow and gets a new grant.
	want := make(map[aceKey]model.Level, len(r.spec.ACL))
	for _, ace := range r.spec.ACL {
		want[aceKey{ace.Grantee, ace.Effect}] = ace.Level
	}
	for _, g := range existing {
		if scope != nil && !scope[g.Grantee] {
			continue
		}
		k := aceKey{g.Grantee, g.Effect}
		level, keep := want[k]
		if keep && !g.EndedAt(now) {
			delete(want, k) // satisfied by the grant that survives
			if g.Level != level {
				g.Level, g.UpdatedAt = level, now
				if err := tx.PutGrant(g); err != nil {
					return err
				}
			}
			continue
		}
		if _, err := tx.DeleteGrant(g); err != nil {
			return err
		}
	}
	for _, ace := range r.spec.ACL {
		if _, missing := want[aceKey{ace.Grantee, ace.Effect}]; !missing {
			continue
		}
		in := model.GrantInput{Entity: res, Grantee: ace.Grantee, Level: ace.Level, Effect: ace.Effect, GrantedBy: r.spec.RequestedBy}
		if err := tx.PutGrant(model.NewGrant(r.c.NewGrantID(now), r.org, in, now)); err != nil {
			return err
		}
	}
	return nil
}

// createTxn creates the job's grants on entity res, in input order: all of
// them or, when any input is invalid, none (the step fails with one error per
// bad input, naming it as grants[i]). A duplicate (a live grant of the same
// grantee on res, stored or created earlier in the step) is skipped, or with
// Upsert takes the input's level and window and keeps its id, granter and
// creation time. An input with no GrantedBy is granted by the requester.
func (r *JobRun) createTxn(tx *store.WriteTxn, res model.EntityRef, now time.Time) ([]model.Error, error) {
	idx := r.grantsOf[res]
	var failures []model.Error
	for _, i := range idx {
		if err := r.v.Grant(r.spec.Grants[i], now); err != nil {
			failures = append(failures, jobStepError(jobIndexedError("grants", i, err)))
		}
	}
	if len(failures) > 0 {
		return failures, nil
	}
	upsert := r.spec.Mode == Upsert
	for _, i := range idx {
		in := r.spec.Grants[i]
		if old, ok := tx.GrantWithEffect(r.org, in.Entity, in.Grantee, in.Effect); ok && !old.EndedAt(now) {
			if !upsert {
				continue
			}
			if err := tx.PutGrant(updated(old, &in, now)); err != nil {
				return nil, err
			}
			continue
		}
		if in.GrantedBy == "" {
			in.GrantedBy = r.spec.RequestedBy
		}
		if err := tx.PutGrant(model.NewGrant(r.c.NewGrantID(now), r.org, in, now)); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// updated is g after in updates it at now: the new level and window, the
// same id, creator and creation time.
func updated(g model.Grant, in *model.GrantInput, now time.Time) model.Grant {
	g.Level = in.Level
	g.EffectiveFrom, g.EffectiveTo = model.UTC(in.EffectiveFrom), model.UTC(in.EffectiveTo)
	g.UpdatedAt = now
	return g
}
