package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
)

// grantdbSubject is grantdb in memory, loaded with one AddMembers, one
// LinkEntities and one BulkCreate at the organisation's LoadTime and
// queried at its Epoch.
type grantdbSubject struct {
	e   *engine.Engine
	org string
	now atomic.Pointer[time.Time]

	heapAfterMembers, heapAfterGrants int64
}

const grantdbModel = "engine.Open in memory; one AddMembers of every membership, one LinkEntities of every entity link, one BulkCreate (SkipDuplicates) of every grant, allows and denies, windows included; clock at LoadTime for the load, at Epoch for queries"

func (s *grantdbSubject) setClock(t time.Time) { s.now.Store(&t) }

func (s *grantdbSubject) load(ctx context.Context, o *gen.Org, log *progress) (loaded, error) {
	s.org = o.ID
	s.setClock(o.LoadTime)
	e, err := engine.Open(engine.WithClock(func() time.Time { return *s.now.Load() }))
	if err != nil {
		return loaded{}, err
	}
	s.e = e
	t0 := time.Now()
	if err := e.AddMembers(ctx, o.ID, o.Memberships...); err != nil {
		return loaded{}, fmt.Errorf("grantdb: AddMembers: %w", err)
	}
	members := time.Since(t0)
	log.printf("grantdb: %d memberships added in %.2f s", len(o.Memberships), members.Seconds())
	// The heap between the two writes separates the grants' share, which
	// docs/design.md §4.3's target is about (a collection here is outside both
	// timed phases).
	var links time.Duration
	if len(o.Links) > 0 {
		t := time.Now()
		if err := e.LinkEntities(ctx, o.ID, o.Links...); err != nil {
			return loaded{}, fmt.Errorf("grantdb: LinkEntities: %w", err)
		}
		links = time.Since(t)
		log.printf("grantdb: %d entity links added in %.2f s", len(o.Links), links.Seconds())
	}
	s.heapAfterMembers = liveHeap()
	t1 := time.Now()
	res, err := e.BulkCreate(ctx, o.ID, o.Grants, bulk.Options{})
	if err != nil {
		return loaded{}, fmt.Errorf("grantdb: BulkCreate: %w", err)
	}
	if res.Summary.Succeeded != len(o.Grants) {
		return loaded{}, fmt.Errorf("grantdb: BulkCreate created %d of %d grants (%d skipped, %d failed)",
			res.Summary.Succeeded, len(o.Grants), res.Summary.Skipped, res.Summary.Failed)
	}
	grants := time.Since(t1)
	log.printf("grantdb: %d grants bulk-created in %.2f s", len(o.Grants), grants.Seconds())
	s.setClock(o.Epoch)
	res = bulk.Result{} // the items hold a copy of every grant
	s.heapAfterGrants = liveHeap()
	n := len(o.Memberships) + len(o.Links) + len(o.Grants)
	phases := []Phase{{Name: "AddMembers", Items: len(o.Memberships), S: members.Seconds()}}
	if len(o.Links) > 0 {
		phases = append(phases, Phase{Name: "LinkEntities", Items: len(o.Links), S: links.Seconds()})
	}
	phases = append(phases, Phase{Name: "BulkCreate", Items: len(o.Grants), S: grants.Seconds()})
	return loaded{items: n, total: n, phases: phases}, nil
}

func (s *grantdbSubject) check(q gen.Query) (bool, error) {
	return s.e.Check(context.Background(), s.org, q.User, q.Entity, q.Level)
}

func (s *grantdbSubject) covers(gen.Query) bool { return true }

func (s *grantdbSubject) close() {
	if s.e != nil {
		_ = s.e.Close()
	}
}
