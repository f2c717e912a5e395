package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

// subject is one engine under comparison.
type subject interface {
	// load loads the organisation. When ctx ends it stops and keeps what
	// it has loaded; it returns an error only when nothing can be measured.
	load(ctx context.Context, o *gen.Org, log *progress) (loaded, error)
	// check asks whether q.User has at least q.Level on q.Entity.
	check(q gen.Query) (bool, error)
	// covers reports whether the engine holds everything q's expected
	// answer depends on (false only after a stopped load).
	covers(q gen.Query) bool
	close()
}

// loaded describes a finished or stopped load.
type loaded struct {
	items, total int
	stopped      bool
	phases       []Phase
}

// progress writes timestamped progress lines to stderr.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) printf(format string, args ...any) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// ticker returns a function that reports whether at least every has passed
// since it last returned true, to pace progress lines.
func ticker(every time.Duration) func() bool {
	last := time.Now()
	return func() bool {
		if time.Since(last) < every {
			return false
		}
		last = time.Now()
		return true
	}
}

// activeAt reports whether a grant gives access at t.
func activeAt(g model.GrantInput, t time.Time) bool {
	return (g.EffectiveFrom.IsZero() || !t.Before(g.EffectiveFrom)) &&
		(g.EffectiveTo.IsZero() || t.Before(g.EffectiveTo))
}

// activeGrants returns the grants active at the organisation's Epoch, in
// the generator's order (grouped by entity): what the peers, which have no
// time windows, are given.
func activeGrants(o *gen.Org) []model.GrantInput {
	out := make([]model.GrantInput, 0, len(o.Grants))
	for _, g := range o.Grants {
		if activeAt(g, o.Epoch) {
			out = append(out, g)
		}
	}
	return out
}

// coverage tracks which entities a partial load holds completely: every
// membership, and every active grant of the entity.
type coverage struct {
	want, have  map[model.EntityRef]int
	memberships bool
}

func newCoverage(grants []model.GrantInput) *coverage {
	c := &coverage{want: make(map[model.EntityRef]int), have: make(map[model.EntityRef]int)}
	for _, g := range grants {
		c.want[g.Entity]++
	}
	return c
}

func (c *coverage) covers(e model.EntityRef) bool {
	return c.memberships && c.have[e] == c.want[e]
}

// longestChain returns the number of memberships on the longest chain from
// a user to a group: how deep a role manager must search.
func longestChain(ms []model.Membership) int {
	up := make(map[model.Subject][]model.Subject)
	for _, m := range ms {
		up[m.Member] = append(up[m.Member], m.Group)
	}
	depth := make(map[model.Subject]int)
	var walk func(s model.Subject) int
	walk = func(s model.Subject) int {
		if d, ok := depth[s]; ok {
			return d
		}
		depth[s] = 0 // memberships are acyclic; this only guards the recursion
		d := 0
		for _, g := range up[s] {
			d = max(d, 1+walk(g))
		}
		depth[s] = d
		return d
	}
	longest := 0
	for _, m := range ms {
		longest = max(longest, walk(m.Member))
	}
	return longest
}

// writeInBatches loads a peer that takes relationships in batches: the
// organisation's memberships first, then grants, batch at a time (never a
// batch holding both), through write(from, to) over the peer's own list of
// len(o.Memberships)+len(grants) items, until done or stop says so. It keeps
// cov up to date, logs progress as engine's what, and times the two phases.
func writeInBatches(o *gen.Org, grants []model.GrantInput, batch int, cov *coverage, log *progress,
	stop func() bool, engine, what string, write func(from, to int) error) (loaded, error) {
	total := len(o.Memberships) + len(grants)
	res := loaded{total: total}
	tick := ticker(5 * time.Second)
	start := time.Now()
	var membersS float64
	for done := 0; done < total; {
		if stop() {
			res.stopped = true
			break
		}
		n := min(batch, total-done)
		if done < len(o.Memberships) { // keep memberships and grants in separate writes
			n = min(n, len(o.Memberships)-done)
		}
		if err := write(done, done+n); err != nil {
			return res, err
		}
		for i := done; i < done+n; i++ {
			if i >= len(o.Memberships) {
				cov.have[grants[i-len(o.Memberships)].Entity]++
			}
		}
		done += n
		res.items = done
		if done == len(o.Memberships) {
			cov.memberships = true
			membersS = time.Since(start).Seconds()
		}
		if tick() {
			log.printf("%s: %d of %d %s written (%.0f s)", engine, done, total, what, time.Since(start).Seconds())
		}
	}
	took := time.Since(start).Seconds()
	if cov.memberships {
		res.phases = []Phase{
			{Name: "Write memberships", Items: len(o.Memberships), S: membersS},
			{Name: "Write grants", Items: res.items - len(o.Memberships), S: took - membersS},
		}
	} else {
		res.phases = []Phase{{Name: "Write memberships (stopped)", Items: res.items, S: took}}
	}
	log.printf("%s: %d of %d %s written in %.1f s", engine, res.items, total, what, took)
	return res, nil
}
