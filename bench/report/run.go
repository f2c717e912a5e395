package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/grantdb/grantdb/bench/gen"
	"github.com/grantdb/grantdb/model"
)

// Engine names, in the order they run.
const (
	nameGrantdb = "grantdb"
	nameCasbin  = "casbin"
	nameOpenFGA = "openfga"
	nameSpiceDB = "spicedb"
)

// The generator's access models (-model): its default, with folders
// holding entities and denies, and Config.Flat's allows on entities alone.
const (
	modelRich = "rich"
	modelFlat = "flat"
)

// peers are the engines grantdb is compared with, in the order they run.
var peers = []string{nameCasbin, nameOpenFGA, nameSpiceDB}

// config is one run's settings (the command's flags).
type config struct {
	size gen.Size
	seed uint64
	// model is the generator's access model: modelRich (also when empty)
	// or modelFlat.
	model   string
	out     string // results directory; empty: write nothing
	engines []string
	// grantdbSamples and peerSamples are how many queries each engine is
	// asked, timed one by one, and compared with the expected answers.
	grantdbSamples, peerSamples int
	// decidedSamples is how many queries a deny or an inherited grant
	// decides each peer is asked besides (grantdb: all of the mixes').
	decidedSamples            int
	casbinLoad, casbinQuery   time.Duration
	openfgaLoad, openfgaQuery time.Duration
	spicedbLoad, spicedbQuery time.Duration
	// throughput and peerThroughput are how long each throughput
	// measurement runs, for grantdb and for the peers.
	throughput, peerThroughput time.Duration
	openfgaBatch, spicedbBatch int
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
			PeerSamples: cfg.peerSamples, GrantdbSamples: cfg.grantdbSamples, DecidedSamples: cfg.decidedSamples,
			CasbinLoadS: cfg.casbinLoad.Seconds(), CasbinQueryS: cfg.casbinQuery.Seconds(),
			OpenFGALoadS: cfg.openfgaLoad.Seconds(), OpenFGAQueryS: cfg.openfgaQuery.Seconds(),
			ThroughputS: cfg.throughput.Seconds(), PeerThroughputS: cfg.peerThroughput.Seconds(),
			OpenFGAWriteBatch: cfg.openfgaBatch,
			SpiceDBLoadS:      cfg.spicedbLoad.Seconds(), SpiceDBQueryS: cfg.spicedbQuery.Seconds(),
			SpiceDBWriteBatch: cfg.spicedbBatch,
		},
	}
	log.printf("generating the %s organisation (seed %d)", cfg.size, cfg.seed)
	gcfg := cfg.size.Config()
	gcfg.Seed = cfg.seed
	if cfg.model == "" {
		cfg.model = modelRich
	}
	if cfg.model == modelFlat {
		gcfg = gcfg.Flat()
	}
	o := gen.New(gcfg)
	rich := richOrg(o)
	n := max(cfg.grantdbSamples, cfg.peerSamples)
	// The timed mixes hold their strings as requests would (gen.AsRequests):
	// a check then pays for the engine's memory, not for the generator's.
	mixes := map[string][]gen.Query{mixHot: gen.AsRequests(o.Queries(n)), mixUniform: gen.AsRequests(uniformQueries(o, cfg.seed, n))}
	mixes[mixDecided] = decidedQueries(mixes[mixHot], mixes[mixUniform])
	rep.Grants, rep.Users, rep.Entities, rep.Memberships = len(o.Grants), len(o.Users), len(o.Entities), len(o.Memberships)
	rep.Active = len(activeGrants(o))
	rep.Model, rep.Folders, rep.Links = cfg.model, len(o.Folders), len(o.Links)
	for _, g := range o.Grants {
		if g.Effect == model.EffectDeny {
			rep.Denies++
		}
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("latencies are timed call by call; each includes the clock's own cost, %s here", nanos(clockOverhead())))
	depth, linkDepth := longestChain(o.Memberships), longestLinkChain(o.Links)
	rep.Budgets.CasbinMaxHierarchy = max(10, depth+2, linkDepth+2)
	log.printf("%s model: %d users, %d entities, %d memberships (longest chain %d), %d folders, %d links (longest chain %d), %d grants (%d denies, %d active at Epoch), %d queries per mix",
		rep.Model, rep.Users, rep.Entities, rep.Memberships, depth, rep.Folders, rep.Links, linkDepth, rep.Grants, rep.Denies, rep.Active, n)

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
			sub, res.Model = &casbinSubject{maxDepth: rep.Budgets.CasbinMaxHierarchy}, pick(rich, casbinRichDesc, casbinDesc)
			loadBudget, qBudget = cfg.casbinLoad, cfg.casbinQuery
		case nameOpenFGA:
			// A check slower than the query budget is as good as stopped.
			sub, res.Model = &openfgaSubject{batch: cfg.openfgaBatch, timeout: max(cfg.openfgaQuery, 3*time.Second)}, pick(rich, openfgaRichDesc, openfgaDesc)
			loadBudget, qBudget = cfg.openfgaLoad, cfg.openfgaQuery
		case nameSpiceDB:
			sub, res.Model = &spicedbSubject{batch: cfg.spicedbBatch, timeout: max(cfg.spicedbQuery, 3*time.Second)}, pick(rich, spicedbRichDesc, spicedbDesc)
			loadBudget, qBudget = cfg.spicedbLoad, cfg.spicedbQuery
		default:
			return nil, fmt.Errorf("unknown engine %q (want grantdb, casbin, openfga or spicedb)", name)
		}
		rep.Engines[name] = res
		log.printf("%s: loading", name)
		m := plan{samples: samples, decided: cfg.decidedSamples, qBudget: qBudget, throughput: tp}
		if name == nameGrantdb {
			m.decided = len(mixes[mixDecided])
		}
		measureEngine(name, sub, o, mixes, loadBudget, m, cfg.ops, res, rep, log)
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

// pick returns a when cond holds, else b.
func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// plan is how long and how much one engine's checks are measured, on each
// mix.
type plan struct {
	samples int
	// decided is how many queries of the decided mix are compared.
	decided    int
	qBudget    time.Duration
	throughput time.Duration
}

// measureEngine loads one engine and measures it into res.
func measureEngine(name string, sub subject, o *gen.Org, mixes map[string][]gen.Query,
	loadBudget time.Duration, m plan, ops bool, res *EngineResult, rep *Report, log *progress) {
	ctx := context.Background()
	if loadBudget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, loadBudget)
		defer cancel()
	}
	// Every engine loads from the same state of the process's memory: what
	// the engines before it freed goes back to the OS first, as a service's
	// new process has no pages to reuse. Otherwise an engine after the first
	// loads into pages the first one faulted in (on the machine of
	// results/medium.md, grantdb's load took 0.26 s run second and 0.36 s
	// run first).
	debug.FreeOSMemory()
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
	log.printf("%s: loaded %d items in %.2f s, heap %s", name, ld.items, res.LoadS, bytesIEC(res.HeapBytes))

	hot := mixes[mixHot]
	hot = hot[:min(m.samples, len(hot))]
	hotLat := measureMix(name, mixHot, sub, hot, m, &res.MixResult, res, rep, log)
	uniform := mixes[mixUniform]
	res.Uniform = &MixResult{}
	measureMix(name, mixUniform, sub, uniform[:min(m.samples, len(uniform))], m, res.Uniform, res, rep, log)
	if decided := mixes[mixDecided]; len(decided) > 0 {
		res.Decided = &Agreement{}
		checkDecided(name, sub, decided[:min(m.decided, len(decided))], m.qBudget, res, rep, log)
	}
	if res.Agree.Compared == 0 && res.Agree.Skipped > 0 {
		res.Notes = append(res.Notes, "no answer could be compared with the expected one: the load stopped before every membership was written, so no entity is held completely")
	}

	if g, ok := sub.(*grantdbSubject); ok && ops {
		rep.Operations = grantdbOperations(g, o, hot[:len(hotLat)], hotLat, ld, log)
	}
}

// measureMix times the checks of one mix one by one (within the query
// budget), compares their answers and measures throughput on them, into
// mr. It returns the latencies, one per query checked.
func measureMix(name, mix string, sub subject, qs []gen.Query, m plan, mr *MixResult, res *EngineResult, rep *Report, log *progress) latencies {
	var deadline time.Time
	if m.qBudget > 0 {
		deadline = time.Now().Add(m.qBudget)
	}
	got := make([]bool, len(qs))
	errs := make([]error, len(qs))
	tick := ticker(5 * time.Second)
	mallocs := mallocCount()
	lat, stopped := timeCalls(len(qs), deadline, func(i int) {
		got[i], errs[i] = sub.check(qs[i])
		if i%64 == 0 && tick() {
			log.printf("%s: %d of %d %s checks", name, i, len(qs), mix)
		}
	})
	if len(lat) > 0 {
		mr.AllocsPerCheck = float64(mallocCount()-mallocs) / float64(len(lat))
	}
	mr.CheckSamples = len(lat)
	for _, q := range qs[:len(lat)] {
		if q.Allowed {
			mr.AllowedShare++
		}
	}
	mr.AllowedShare /= float64(max(len(lat), 1))
	mr.CheckP50Ns, mr.CheckP90Ns, mr.CheckP99Ns, mr.CheckMeanNs = lat.summary()
	mr.QueryStopped = stopped
	if stopped {
		note := fmt.Sprintf("%s mix: query budget (%.0f s) ran out after %d of %d checks", mix, m.qBudget.Seconds(), len(lat), len(qs))
		res.Notes = append(res.Notes, note)
		log.printf("%s: %s", name, note)
	}
	compare(name, mix, sub, qs[:len(lat)], got, errs, &mr.Agree, rep)
	mr.Agree.NotAsked = len(qs) - len(lat)
	a := mr.Agree
	log.printf("%s: %s mix: check p50 %s p99 %s, %.1f allocs; %d compared, %d disagree, %d skipped, %d errors",
		name, mix, nanos(mr.CheckP50Ns), nanos(mr.CheckP99Ns), mr.AllocsPerCheck, a.Compared, a.Disagree, a.Skipped, a.Errors)
	if len(lat) == 0 {
		return lat
	}
	call := func(i int) { _, _ = sub.check(qs[i%len(lat)]) }
	mr.ThroughputSingle = throughput(1, m.throughput, call)
	mr.Goroutines = runtime.GOMAXPROCS(0)
	mr.ThroughputParallel = throughput(mr.Goroutines, m.throughput, call)
	log.printf("%s: %s mix: %.0f checks/s on 1 goroutine, %.0f on %d", name, mix, mr.ThroughputSingle, mr.ThroughputParallel, mr.Goroutines)
	return lat
}

// checkDecided asks the queries a deny or an inherited grant decides,
// within the query budget, and compares the answers into res.Decided. They
// are not timed: the two mixes measure latency, this one only
// correctness, on the answers a model without denies or without parents
// would get wrong.
func checkDecided(name string, sub subject, qs []gen.Query, budget time.Duration, res *EngineResult, rep *Report, log *progress) {
	var deadline time.Time
	if budget > 0 {
		deadline = time.Now().Add(budget)
	}
	got := make([]bool, len(qs))
	errs := make([]error, len(qs))
	asked := 0
	for i, q := range qs {
		if !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		got[i], errs[i] = sub.check(q)
		asked++
	}
	compare(name, mixDecided, sub, qs[:asked], got, errs, res.Decided, rep)
	res.Decided.NotAsked = len(qs) - asked
	if asked < len(qs) {
		res.Notes = append(res.Notes, fmt.Sprintf("%s queries: query budget (%.0f s) ran out after %d of %d checks", mixDecided, budget.Seconds(), asked, len(qs)))
	}
	a := res.Decided
	log.printf("%s: %s queries: %d compared (%d decided by a deny, %d by inheritance), %d disagree, %d skipped, %d errors",
		name, mixDecided, a.Compared, a.DenyDecides.Compared, a.InheritedDecides.Compared, a.Disagree, a.Skipped, a.Errors)
}

// maxDisagreements is how many disagreements per engine and mix the report
// lists.
const maxDisagreements = 10

// compare counts the answers that match the expected ones, and records the
// first disagreements.
func compare(name, mix string, sub subject, qs []gen.Query, got []bool, errs []error, agree *Agreement, rep *Report) {
	listed := 0
	for i, q := range qs {
		if !sub.covers(q) {
			agree.Skipped++
			continue
		}
		agree.Compared++
		ok := errs[i] == nil && got[i] == q.Allowed
		for _, kind := range []struct {
			in  bool
			set *Subset
		}{{q.Deny, &agree.Deny}, {q.DenyDecides, &agree.DenyDecides}, {q.Inherited, &agree.Inherited}, {q.InheritedDecides, &agree.InheritedDecides}} {
			if kind.in {
				kind.set.add(ok)
			}
		}
		switch {
		case errs[i] != nil:
			agree.Errors++
		case got[i] == q.Allowed:
			agree.Agreed++
			continue
		default:
			agree.Disagree++
		}
		if listed < maxDisagreements {
			listed++
			d := Disagreement{Engine: name, Mix: mix, Index: i, User: q.User, Entity: q.Entity.Type + ":" + q.Entity.ID,
				Level: q.Level.String(), Expected: q.Allowed, Got: got[i], Involves: involves(q)}
			if errs[i] != nil {
				d.Err = errs[i].Error()
			}
			rep.Disagreements = append(rep.Disagreements, d)
		}
	}
}

// involves names what the query's expected answer involves beyond direct
// allows: "deny" or "deny (decides)", "inherited" or "inherited
// (decides)", comma-separated; empty when neither.
func involves(q gen.Query) string {
	var parts []string
	switch {
	case q.DenyDecides:
		parts = append(parts, "deny (decides)")
	case q.Deny:
		parts = append(parts, "deny")
	}
	switch {
	case q.InheritedDecides:
		parts = append(parts, "inherited (decides)")
	case q.Inherited:
		parts = append(parts, "inherited")
	}
	return strings.Join(parts, ", ")
}

// finish fills the ratios, the notes that say how to read the run, and the
// machine's load at the end.
func finish(rep *Report, took time.Duration) {
	rep.DurationS = took.Seconds()
	rep.Machine.LoadAfter = loadAverage()
	g := rep.Engines[nameGrantdb]
	for _, peer := range peers {
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
		if gu, pu := g.Uniform, p.Uniform; gu != nil && pu != nil && gu.CheckP50Ns > 0 && pu.CheckSamples > 0 {
			set("check_uniform_vs_"+peer, pu.CheckP50Ns/gu.CheckP50Ns)
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
	rep.Goals = goals(rep)
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
		nameSpiceDB: "github.com/authzed/spicedb",
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
