package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// opBudget bounds each of grantdb's repeated operations: calls stop after
// opCalls or this long, whichever comes first.
const (
	opBudget = 3 * time.Second
	opCalls  = 20_000
)

// grantdbOperations measures grantdb's calls besides the plain Check: the
// load's two writes, Check split by answer, Resolve, the two lists, paging
// and small writes into the loaded organisation.
func grantdbOperations(s *grantdbSubject, o *gen.Org, qs []gen.Query, checks latencies, ld loaded, log *progress) []OpResult {
	ctx := context.Background()
	var ops []OpResult
	for _, p := range ld.phases {
		d := time.Duration(p.S * float64(time.Second))
		ops = append(ops, OpResult{Label: p.Name + " (load)", Name: p.Name, Detail: "the load: " + count(p.Items) + " items in one call",
			Calls: 1, P50Ns: float64(d), P90Ns: float64(d), P99Ns: float64(d), MeanNs: float64(d),
			Items: p.Items, PerItemNs: float64(d) / float64(max(p.Items, 1))})
	}
	var allowed, denied latencies
	for i, d := range checks {
		if qs[i].Allowed {
			allowed = append(allowed, d)
		} else {
			denied = append(denied, d)
		}
	}
	ops = append(ops, opOf("Check allowed", "Check", "allowed queries", allowed, 1),
		opOf("Check denied", "Check", "denied queries", denied, 1))

	// measure times f (items operations a call) for up to calls calls,
	// and records the first error in the op's detail.
	measure := func(calls int, label, name, detail string, items int, f func(i int) error) {
		var firstErr error
		lat, _ := timeCalls(calls, time.Now().Add(opBudget), func(i int) {
			if err := f(i); err != nil && firstErr == nil {
				firstErr = err
			}
		})
		if firstErr != nil {
			detail += "; error: " + firstErr.Error()
		}
		op := opOf(label, name, detail, lat, items)
		ops = append(ops, op)
		log.printf("grantdb: %s (%s): p50 %s over %d calls", name, detail, nanos(op.P50Ns), op.Calls)
	}
	add := func(label, name, detail string, items int, f func(i int) error) {
		measure(opCalls, label, name, detail, items, f)
	}

	add("Resolve", "Resolve", "the sampled queries' user and entity", 1, func(i int) error {
		q := qs[i%len(qs)]
		_, err := s.e.Resolve(ctx, o.ID, q.User, q.Entity)
		return err
	})
	user, reach := o.UserWithReach(50)
	add("ResolvedAccess", "ResolvedAccess", "a user who reads "+count(reach)+" entities", reach, func(int) error {
		_, err := s.e.ResolvedAccess(ctx, o.ID, user, resolve.Query{})
		return err
	})
	entity, audience := o.EntityWithAudience(min(1000, len(o.Users)/10))
	add("UsersWithAccess", "UsersWithAccess", "an entity "+count(audience)+" users read", audience, func(int) error {
		_, err := s.e.UsersWithAccess(ctx, o.ID, entity, model.LevelRead)
		return err
	})
	cursor := ""
	add("ListGrants page", "ListGrants", "pages of 100, walking the whole organisation", 100, func(int) error {
		page, err := s.e.ListGrants(ctx, o.ID, model.GrantQuery{Limit: 100, Cursor: cursor})
		cursor = page.NextCursor
		return err
	})
	add("ListGrants entity", "ListGrants", "one entity's grants", 1, func(i int) error {
		_, err := s.e.ListGrants(ctx, o.ID, model.GrantQuery{Entity: o.Entities[i%len(o.Entities)]})
		return err
	})

	// The snapshots are written from the loaded engine now; they are
	// opened at the end, once it is closed.
	snaps, err := newSnapshots(ctx, s, len(o.Grants), measure)
	if err != nil {
		measure(1, "Open snapshot", "Open", "error: "+err.Error(), len(o.Grants), func(int) error { return err })
	} else {
		defer snaps.remove()
	}

	// Writes into the loaded organisation: new entities and new users, so
	// that nothing measured above changes.
	const batch = 1000
	batchNo := 0
	addBatches := func(label, name, detail string, items int, f func(i int) error) {
		measure(50, label, name, detail, items, f)
	}
	addBatches(fmt.Sprintf("BulkCreate %d", batch), "BulkCreate", count(batch)+" new grants into the loaded organisation", batch, func(int) error {
		items := make([]model.GrantInput, batch)
		for j := range items {
			k := batchNo*batch + j
			items[j] = model.GrantInput{
				Entity:    model.EntityRef{Type: o.Config.EntityTypes[0], ID: fmt.Sprintf("extra-%07d", k/10)},
				Grantee:   model.User(o.Users[(k*7919)%len(o.Users)]),
				Level:     model.Level(k%3 + 1),
				GrantedBy: o.Users[0],
			}
		}
		batchNo++
		res, err := s.e.BulkCreate(ctx, o.ID, items, bulk.Options{})
		if err == nil && res.Summary.Succeeded != batch {
			err = fmt.Errorf("created %d of %d", res.Summary.Succeeded, batch)
		}
		return err
	})
	const members = 100
	memberBatch := 0
	leaves := leafDepartments(o)
	addBatches(fmt.Sprintf("AddMembers %d", members), "AddMembers", fmt.Sprintf("%d new users into departments", members), members, func(int) error {
		ms := make([]model.Membership, members)
		for j := range ms {
			k := memberBatch*members + j
			ms[j] = model.Membership{Member: model.User(fmt.Sprintf("extra-user-%07d", k)),
				Group: model.Department(leaves[(k*31)%len(leaves)])}
		}
		memberBatch++
		return s.e.AddMembers(ctx, o.ID, ms...)
	})
	if snaps != nil {
		snaps.open(s, o, measure)
	}
	return ops
}

// reopenCalls bounds the snapshots written and opened: each holds the
// whole organisation.
const reopenCalls = 3

// snapshots are copies of the loaded organisation in a temporary directory.
type snapshots struct{ dir string }

// newSnapshots measures Snapshot of the loaded organisation (of grants
// grants), reopenCalls times, into a new temporary directory (remove
// removes it).
func newSnapshots(ctx context.Context, s *grantdbSubject, grants int,
	measure func(calls int, label, name, detail string, items int, f func(i int) error)) (*snapshots, error) {
	dir, err := os.MkdirTemp("", "grantdb-report-")
	if err != nil {
		return nil, err
	}
	snaps := &snapshots{dir: dir}
	measure(reopenCalls, "Snapshot", "Snapshot", "the loaded organisation into an empty directory", grants, func(i int) error {
		return s.e.Snapshot(ctx, snaps.path(i))
	})
	return snaps, nil
}

func (ss *snapshots) path(i int) string { return filepath.Join(ss.dir, fmt.Sprintf("snapshot-%d", i)) }

func (ss *snapshots) remove() { _ = os.RemoveAll(ss.dir) }

// open measures Open of each snapshot written, as a restart: the loaded
// engine is closed and collected first, so that the heap holds what a
// restarted service's would, the new engine and (here) the generator's
// organisation, rather than a second copy of the organisation that every
// collection during Open would mark.
func (ss *snapshots) open(s *grantdbSubject, o *gen.Org,
	measure func(calls int, label, name, detail string, items int, f func(i int) error)) {
	s.close()
	s.e = nil
	runtime.GC()
	measure(reopenCalls, "Open snapshot", "Open", "WithPath of a snapshot of the loaded organisation, the loaded engine closed first (a restart)", len(o.Grants), func(i int) error {
		if _, err := os.Stat(ss.path(i)); err != nil {
			return fmt.Errorf("no snapshot to open: %w", err)
		}
		e, err := engine.Open(engine.WithPath(ss.path(i)), engine.WithClock(func() time.Time { return o.Epoch }))
		if err != nil {
			return err
		}
		return e.Close()
	})
}

func opOf(label, name, detail string, lat latencies, items int) OpResult {
	op := OpResult{Label: label, Name: name, Detail: detail, Calls: len(lat), Items: items}
	op.P50Ns, op.P90Ns, op.P99Ns, op.MeanNs = lat.summary()
	if items > 1 {
		op.PerItemNs = op.P50Ns / float64(items)
	}
	return op
}

// leafDepartments returns the departments at the bottom of the tree.
func leafDepartments(o *gen.Org) []string {
	var leaves []string
	for _, d := range o.Departments {
		if d.Depth == o.Config.DeptDepth {
			leaves = append(leaves, d.ID)
		}
	}
	return leaves
}
