package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/grantdb/grantdb/bench/gen"
)

// Engine names, in the order they run.
const (
	nameGrantdb = "grantdb"
	nameCasbin  = "casbin"
	nameOpenFGA = "openfga"
)

// config is one run's settings (the command's flags).
type config struct {
	size    gen.Size
	seed    uint64
	out     string // results directory; empty: write nothing
	engines []string
	// grantdbSamples and peerSamples are how many queries each engine is
	// asked, timed one by one, and compared with the expected answers.
	grantdbSamples, peerSamples int
	casbinLoad, casbinQuery     time.Duration
	openfgaLoad, openfgaQuery   time.Duration
	// throughput and peerThroughput are how long each throughput
	// measurement runs, for grantdb and for the peers.
	throughput, peerThroughput time.Duration
	openfgaBatch               int
	// ops measures grantdb's operations besides Check.
	ops bool
	// render rewrites the md and svg of an earlier run instead of running.
	render  bool
	command string
	log     io.Writer
}

// run builds the organisation, measures every engine and returns the
// report (written to cfg.out when it is set).
func run(cfg config) (*Report, error) {
	log := newProgress(cfg.log)
	start := time.Now()
	rep := &Report{
		Size: cfg.size.String(), Seed: cfg.seed, Started: start.UTC().Truncate(time.Second),
		Command: cfg.command, Machine: currentMachine(),
		Engines: map[string]*EngineResult{}, Ratios: map[string]float64{},
		Disagreements: []Disagreement{},
		Budgets: Budgets{
			PeerSamples: cfg.peerSamples, GrantdbSamples: cfg.grantdbSamples,
			CasbinLoadS: cfg.casbinLoad.Seconds(), CasbinQueryS: cfg.casbinQuery.Seconds(),
			OpenFGALoadS: cfg.openfgaLoad.Seconds(), OpenFGAQueryS: cfg.openfgaQuery.Seconds(),
			ThroughputS: cfg.throughput.Seconds(), PeerThroughputS: cfg.peerThroughput.Seconds(),
			OpenFGAWriteBatch: cfg.openfgaBatch,
		},
	}
	log.printf("generating the %s organisation (seed %d)", cfg.size, cfg.seed)
	o := gen.Generate(cfg.seed, cfg.size)
	qs := o.Queries(max(cfg.grantdbSamples, cfg.peerSamples))
	rep.Grants, rep.Users, rep.Entities, rep.Memberships = len(o.Grants), len(o.Users), len(o.Entities), len(o.Memberships)
	rep.Active = len(activeGrants(o))
	rep.Notes = append(rep.Notes, fmt.Sprintf("latencies are timed call by call; each includes the clock's own cost, %s here", nanos(clockOverhead())))
	depth := longestChain(o.Memberships)
	rep.Budgets.CasbinMaxHierarchy = max(10, depth+2)
	log.printf("%d users, %d entities, %d memberships (longest chain %d), %d grants (%d active at Epoch), %d queries",
		rep.Users, rep.Entities, rep.Memberships, depth, rep.Grants, rep.Active, len(qs))

	for _, name := range cfg.engines {
		var (
			sub        subject
			res        = &EngineResult{Version: moduleVersion(name)}
			loadBudget time.Duration
			qBudget    time.Duration
			samples    = cfg.peerSamples
			tp         = cfg.peerThroughput
		)
		switch name {
		case nameGrantdb:
			sub, res.Model, samples, tp = &grantdbSubject{}, grantdbModel, cfg.grantdbSamples, cfg.throughput
		case nameCasbin:
			sub, res.Model = &casbinSubject{maxDepth: rep.Budgets.CasbinMaxHierarchy}, casbinDesc
			loadBudget, qBudget = cfg.casbinLoad, cfg.casbinQuery
		case nameOpenFGA:
			// A check slower than the query budget is as good as stopped.
			sub, res.Model = &openfgaSubject{batch: cfg.openfgaBatch, timeout: max(cfg.openfgaQuery, 3*time.Second)}, openfgaDesc
			loadBudget, qBudget = cfg.openfgaLoad, cfg.openfgaQuery
		default:
			return nil, fmt.Errorf("unknown engine %q (want grantdb, casbin or openfga)", name)
		}
		rep.Engines[name] = res
		log.printf("%s: loading", name)
		measureEngine(name, sub, o, qs[:min(samples, len(qs))], loadBudget, qBudget, tp, cfg.ops, res, rep, log)
		sub.close()
		sub = nil
		runtime.GC()
	}
	finish(rep, time.Since(start))
	if cfg.out != "" {
		if err := writeResults(cfg.out, rep); err != nil {
			return rep, err
		}
		log.printf("wrote %s/%s.{md,svg,json}", cfg.out, rep.Size)
	}
	return rep, nil
}

// measureEngine loads one engine and measures it into res.
func measureEngine(name string, sub subject, o *gen.Org, qs []gen.Query,
	loadBudget, qBudget, tp time.Duration, ops bool, res *EngineResult, rep *Report, log *progress) {
	ctx := context.Background()
	if loadBudget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, loadBudget)
		defer cancel()
	}
	before := liveHeap()
	t0 := time.Now()
	ld, err := sub.load(ctx, o, log)
	took := time.Since(t0)
	res.LoadS, res.LoadItems, res.LoadTotal, res.LoadStopped, res.LoadPhases = took.Seconds(), ld.items, ld.total, ld.stopped, ld.phases
	if len(ld.phases) > 0 { // the phases leave out set-up and collections between them
		res.LoadS = 0
		for _, ph := range ld.phases {
			res.LoadS += ph.S
		}
	}
	if err != nil {
		res.Error = err.Error()
		log.printf("%s: %v", name, err)
		return
	}
	res.HeapBytes = liveHeap() - before
	if g, ok := sub.(*grantdbSubject); ok {
		res.HeapGrantBytes = g.heapAfterGrants - g.heapAfterMembers
	}
	if ld.stopped {
		note := fmt.Sprintf("load stopped after %.0f s (budget %.0f s) at %d of %d items; checks measured on the loaded subset, answers compared only for entities loaded completely",
			took.Seconds(), loadBudget.Seconds(), ld.items, ld.total)
		res.Notes = append(res.Notes, note)
		log.printf("%s: %s", name, note)
	}
	log.printf("%s: loaded %d items in %.2f s, heap %s; checking %d queries", name, ld.items, res.LoadS, bytesIEC(res.HeapBytes), len(qs))

	var deadline time.Time
	if qBudget > 0 {
		deadline = time.Now().Add(qBudget)
	}
	got := make([]bool, len(qs))
	errs := make([]error, len(qs))
	tick := ticker(5 * time.Second)
	lat, stopped := timeCalls(len(qs), deadline, func(i int) {
		got[i], errs[i] = sub.check(qs[i])
		if i%64 == 0 && tick() {
			log.printf("%s: %d of %d checks", name, i, len(qs))
		}
	})
	res.CheckSamples = len(lat)
	res.CheckP50Ns, res.CheckP90Ns, res.CheckP99Ns, res.CheckMeanNs = lat.summary()
	res.QueryStopped = stopped
	if stopped {
		note := fmt.Sprintf("query budget (%.0f s) ran out after %d of %d checks", qBudget.Seconds(), len(lat), len(qs))
		res.Notes = append(res.Notes, note)
		log.printf("%s: %s", name, note)
	}
	compare(name, sub, qs[:len(lat)], got, errs, res, rep)
	if res.Agree.Compared == 0 && res.Agree.Skipped > 0 {
		res.Notes = append(res.Notes, "no answer could be compared with the expected one: the load stopped before every membership was written, so no entity is held completely")
	}
	log.printf("%s: check p50 %s p99 %s; %d compared, %d disagree, %d skipped, %d errors",
		name, nanos(res.CheckP50Ns), nanos(res.CheckP99Ns), res.Agree.Compared, res.Agree.Disagree, res.Agree.Skipped, res.Agree.Errors)

	call := func(i int) { _, _ = sub.check(qs[i%len(qs)]) }
	res.ThroughputSingle = throughput(1, tp, call)
	res.Goroutines = runtime.GOMAXPROCS(0)
	res.ThroughputParallel = throughput(res.Goroutines, tp, call)
	log.printf("%s: %.0f checks/s on 1 goroutine, %.0f on %d", name, res.ThroughputSingle, res.ThroughputParallel, res.Goroutines)

	if g, ok := sub.(*grantdbSubject); ok && ops {
		rep.Operations = grantdbOperations(g, o, qs, lat, ld, log)
	}
}

// maxDisagreements is how many disagreements per engine the report lists.
const maxDisagreements = 10

// compare counts the answers that match the expected ones, and records the
// first disagreements.
func compare(name string, sub subject, qs []gen.Query, got []bool, errs []error, res *EngineResult, rep *Report) {
	listed := 0
	for i, q := range qs {
		if !sub.covers(q) {
			res.Agree.Skipped++
			continue
		}
		res.Agree.Compared++
		switch {
		case errs[i] != nil:
			res.Agree.Errors++
		case got[i] == q.Allowed:
			res.Agree.Agreed++
			continue
		default:
			res.Agree.Disagree++
		}
		if listed < maxDisagreements {
			listed++
			d := Disagreement{Engine: name, Index: i, User: q.User, Entity: q.Entity.Type + ":" + q.Entity.ID,
				Level: q.Level.String(), Expected: q.Allowed, Got: got[i]}
			if errs[i] != nil {
				d.Err = errs[i].Error()
			}
			rep.Disagreements = append(rep.Disagreements, d)
		}
	}
}

// finish fills the ratios, the notes that say how to read the run, and the
// machine's load at the end.
func finish(rep *Report, took time.Duration) {
	rep.DurationS = took.Seconds()
	rep.Machine.LoadAfter = loadAverage()
	g := rep.Engines[nameGrantdb]
	for _, peer := range []string{nameCasbin, nameOpenFGA} {
		p := rep.Engines[peer]
		if g == nil || p == nil || p.Error != "" || g.Error != "" {
			continue
		}
		set := func(key string, r float64) {
			rep.Ratios[key] = r
			// A peer stopped during its load holds less than grantdb, so
			// every ratio understates what loading it all would cost.
			if p.LoadStopped {
				rep.LowerBounds = append(rep.LowerBounds, key)
			}
		}
		if g.CheckP50Ns > 0 && p.CheckSamples > 0 {
			set("check_vs_"+peer, p.CheckP50Ns/g.CheckP50Ns)
		}
		if g.LoadS > 0 {
			set("load_vs_"+peer, p.LoadS/g.LoadS)
		}
		if g.HeapBytes > 0 {
			set("heap_vs_"+peer, float64(p.HeapBytes)/float64(g.HeapBytes))
		}
		if g.ThroughputParallel > 0 && p.ThroughputParallel > 0 {
			set("throughput_vs_"+peer, g.ThroughputParallel/p.ThroughputParallel)
		}
	}
	if load := rep.Machine.LoadBefore; load != "" {
		var l float64
		if _, err := fmt.Sscan(load, &l); err == nil && l > float64(rep.Machine.Cores) {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the machine was busy: load average %s at the start on %d cores; timings are pessimistic", load, rep.Machine.Cores))
		}
	}
}

// moduleVersion returns the version of the module that holds the engine.
func moduleVersion(name string) string {
	path := map[string]string{
		nameGrantdb: "github.com/grantdb/grantdb",
		nameCasbin:  "github.com/casbin/casbin/v2",
		nameOpenFGA: "github.com/openfga/openfga",
	}[name]
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range info.Deps {
		if m.Path == path {
			if m.Replace != nil {
				return "this checkout"
			}
			return m.Version
		}
	}
	return ""
}
