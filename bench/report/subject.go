package main

import (
	"context"
	"fmt"
	"io"
	"slices"
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
// membership and entity link, and every active grant of the entity and of
// the folders above it.
type coverage struct {
	want, have map[model.EntityRef]int
	parents    map[model.EntityRef][]model.EntityRef
	// prefix reports that the memberships and the links are all written.
	prefix bool
}

func newCoverage(o *gen.Org, grants []model.GrantInput) *coverage {
	c := &coverage{want: make(map[model.EntityRef]int), have: make(map[model.EntityRef]int),
		parents: make(map[model.EntityRef][]model.EntityRef)}
	for _, g := range grants {
		c.want[g.Entity]++
	}
	for _, l := range o.Links {
		c.parents[l.Child] = append(c.parents[l.Child], l.Parent)
	}
	return c
}

func (c *coverage) covers(e model.EntityRef) bool {
	if !c.prefix {
		return false
	}
	seen := map[model.EntityRef]bool{e: true}
	for stack := []model.EntityRef{e}; len(stack) > 0; {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.have[cur] != c.want[cur] {
			return false
		}
		for _, p := range c.parents[cur] {
			if !seen[p] {
				seen[p] = true
				stack = append(stack, p)
			}
		}
	}
	return true
}

// richOrg reports whether the organisation needs more than the flat model
// (allows on entities alone): entity links or denies. The peers hold a flat
// organisation in the simpler model earlier reports measured.
func richOrg(o *gen.Org) bool {
	if len(o.Links) > 0 {
		return true
	}
	for _, g := range o.Grants {
		if g.Effect == model.EffectDeny {
			return true
		}
	}
	return false
}

// entityTypes returns the organisation's entity types, with the folders'
// when it has folders.
func entityTypes(o *gen.Org) []string {
	types := append([]string(nil), o.Config.EntityTypes...)
	if len(o.Folders) > 0 && !slices.Contains(types, gen.FolderType) {
		types = append(types, gen.FolderType)
	}
	return types
}

// longestChain returns the number of memberships on the longest chain from
// a user to a group: how deep a role manager must search.
func longestChain(ms []model.Membership) int {
	up := make(map[model.Subject][]model.Subject)
	for _, m := range ms {
		up[m.Member] = append(up[m.Member], m.Group)
	}
	return longestPath(up)
}

// longestLinkChain returns the number of links on the longest chain from an
// entity up to a folder at the top.
func longestLinkChain(links []model.EntityLink) int {
	up := make(map[model.EntityRef][]model.EntityRef)
	for _, l := range links {
		up[l.Child] = append(up[l.Child], l.Parent)
	}
	return longestPath(up)
}

// longestPath returns the number of edges on the longest path of the
// acyclic graph up.
func longestPath[K comparable](up map[K][]K) int {
	depth := make(map[K]int)
	var walk func(k K) int
	walk = func(k K) int {
		if d, ok := depth[k]; ok {
			return d
		}
		depth[k] = 0 // the graph is acyclic; this only guards the recursion
		d := 0
		for _, p := range up[k] {
			d = max(d, 1+walk(p))
		}
		depth[k] = d
		return d
	}
	longest := 0
	for k := range up {
		longest = max(longest, walk(k))
	}
	return longest
}

// writeInBatches loads a peer that takes relationships in batches: the
// organisation's memberships first, then its entity links, then grants,
// batch at a time (never a batch holding two of them), through write(from,
// to) over the peer's own list of len(o.Memberships)+len(o.Links)+
// len(grants) items, until done or stop says so. It keeps cov up to date,
// logs progress as engine's what, and times the phases.
func writeInBatches(o *gen.Org, grants []model.GrantInput, batch int, cov *coverage, log *progress,
	stop func() bool, engine, what string, write func(from, to int) error) (loaded, error) {
	members, links := len(o.Memberships), len(o.Links)
	prefix := members + links
	total := prefix + len(grants)
	res := loaded{total: total}
	tick := ticker(5 * time.Second)
	start := time.Now()
	var membersS, linksS float64
	cov.prefix = prefix == 0
	for done := 0; done < total; {
		if stop() {
			res.stopped = true
			break
		}
		n := min(batch, total-done)
		switch { // keep memberships, links and grants in separate writes
		case done < members:
			n = min(n, members-done)
		case done < prefix:
			n = min(n, prefix-done)
		}
		if err := write(done, done+n); err != nil {
			return res, err
		}
		for i := max(done, prefix); i < done+n; i++ {
			cov.have[grants[i-prefix].Entity]++
		}
		done += n
		res.items = done
		if done == members {
			membersS = time.Since(start).Seconds()
		}
		if done == prefix {
			cov.prefix = true
			linksS = time.Since(start).Seconds() - membersS
		}
		if tick() {
			log.printf("%s: %d of %d %s written (%.0f s)", engine, done, total, what, time.Since(start).Seconds())
		}
	}
	took := time.Since(start).Seconds()
	switch {
	case res.items < members:
		res.phases = []Phase{{Name: "Write memberships (stopped)", Items: res.items, S: took}}
	case res.items < prefix:
		res.phases = []Phase{{Name: "Write memberships", Items: members, S: membersS},
			{Name: "Write links (stopped)", Items: res.items - members, S: took - membersS}}
	default:
		res.phases = []Phase{{Name: "Write memberships", Items: members, S: membersS}}
		if links > 0 {
			res.phases = append(res.phases, Phase{Name: "Write links", Items: links, S: linksS})
		}
		res.phases = append(res.phases, Phase{Name: "Write grants", Items: res.items - prefix, S: took - membersS - linksS})
	}
	log.printf("%s: %d of %d %s written in %.1f s", engine, res.items, total, what, took)
	return res, nil
}
