package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var engineOrder = append([]string{nameGrantdb}, peers...)

// markdown renders the report as the tables of results/<size>.md.
func markdown(rep *Report) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := rep.Machine
	p("# grantdb, Casbin, OpenFGA and SpiceDB on the %s organisation\n\n", rep.Size)
	p("`cd bench/report && %s` — %s, %.0f s.\n\n", rep.Command, rep.Started.Format("2006-01-02 15:04 MST"), rep.DurationS)
	p("Machine: %s/%s, %s, %d cores (GOMAXPROCS %d), %s; load average %s at the start, %s at the end.\n\n",
		m.GOOS, m.GOARCH, m.CPU, m.Cores, m.GOMAXPROCS, m.GoVersion, m.LoadBefore, m.LoadAfter)
	p("Organisation (bench/gen, seed %d, %s model): %s users, %s entities, %s memberships, %s grants (%s active at Epoch).",
		rep.Seed, modelName(rep), count(rep.Users), count(rep.Entities), count(rep.Memberships), count(rep.Grants), count(rep.Active))
	if modelName(rep) == modelRich {
		p(" The entities are filed in %s folders, trees three or four deep (%s entity links), and %s of the grants are denies; every engine holds the folders, the links and the denies.",
			count(rep.Folders), count(rep.Links), count(rep.Denies))
	} else {
		p(" Flat model: allows on entities alone, no folders and no denies (`-model flat`).")
	}
	p("\n\n")

	p("## Per engine\n\n")
	p("Two query mixes: **hot**, the generator's (80%% of queries from a few hot users, 75%% about an entity one of the user's subjects holds a grant on), and **uniform** (user and entity drawn uniformly at random from the organisation, answered by the same oracle: mostly denials, and no hot user keeps a cache warm).\n\n")
	p("| engine | version | load | loaded | heap after load | mix | allowed | check p50 | p90 | p99 | allocs/check | checks timed | checks/s, 1 goroutine | checks/s, %d goroutines |\n", rep.Machine.GOMAXPROCS)
	p("|---|---|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, name := range engineOrder {
		e := rep.Engines[name]
		if e == nil {
			continue
		}
		if e.Error != "" && e.CheckSamples == 0 {
			p("| %s | %s | %.2f s | %s | – | – | – | – | – | – | – | – | – | – |\n", name, e.Version, e.LoadS, loadedCell(e))
			continue
		}
		p("| %s | %s | %.2f s | %s | %s | %s |\n", name, e.Version, e.LoadS, loadedCell(e), bytesIEC(e.HeapBytes), mixCells(mixHot, &e.MixResult))
		if e.Uniform != nil {
			p("| | | | | | %s |\n", mixCells(mixUniform, e.Uniform))
		}
	}
	p("\n")

	p("## Ratios (peer ÷ grantdb; above 1, grantdb is faster or smaller)\n\n")
	p("| | %s |\n|---|%s\n", strings.Join(peers, " | "), strings.Repeat("--:|", len(peers)))
	for _, row := range []struct{ label, key string }{
		{"check latency, median, hot mix", "check_vs_"},
		{"check latency, median, uniform mix", "check_uniform_vs_"},
		{"load time", "load_vs_"},
		{"heap after load", "heap_vs_"},
		{"parallel throughput, hot mix (grantdb ÷ peer)", "throughput_vs_"},
	} {
		p("| %s |", row.label)
		for _, peer := range peers {
			p(" %s |", ratioCell(rep, row.key+peer))
		}
		p("\n")
	}
	if len(rep.LowerBounds) > 0 {
		p("\n≥: the peer was stopped before it finished loading and was measured on less data than grantdb, so the ratio is a lower bound.\n")
	}
	p("\n")
	goalsTable(p, rep)
	targets(p, rep)

	p("## Correctness: answers compared with the generator's\n\n")
	p("| engine | mix | compared | agreed | disagreed | errors | not compared (entity not loaded completely) | not asked (query budget) |\n|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, name := range engineOrder {
		e := rep.Engines[name]
		if e == nil {
			continue
		}
		agreement := func(mix string, a Agreement) {
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", name, mix, count(a.Compared), count(a.Agreed), count(a.Disagree), count(a.Errors), count(a.Skipped), count(a.NotAsked))
		}
		agreement(mixHot, e.Agree)
		if e.Uniform != nil {
			agreement(mixUniform, e.Uniform.Agree)
		}
		if e.Decided != nil {
			agreement(mixDecided+" (untimed)", *e.Decided)
		}
	}
	subsetsTable(p, rep)
	if len(rep.Disagreements) == 0 {
		p("\nEvery engine answered every compared query as the generator expects, so the engines agree with each other on every query they all answered.\n\n")
	} else {
		p("\n**Disagreements** (a correctness finding, the first %d per engine):\n\n", maxDisagreements)
		p("| engine | mix | query | user | entity | level | involves | expected | got | error |\n|---|---|--:|---|---|---|---|---|---|---|\n")
		for _, d := range rep.Disagreements {
			p("| %s | %s | %d | %s | %s | %s | %s | %t | %t | %s |\n", d.Engine, d.Mix, d.Index, d.User, d.Entity, d.Level, d.Involves, d.Expected, d.Got, d.Err)
		}
		p("\n")
	}

	if len(rep.Operations) > 0 {
		p("## grantdb's operations\n\n")
		p("| operation | what | calls | p50 | p90 | p99 | p50 per item |\n|---|---|--:|--:|--:|--:|--:|\n")
		for _, op := range rep.Operations {
			per := "–"
			if op.PerItemNs > 0 {
				per = nanos(op.PerItemNs)
			}
			p("| %s | %s | %s | %s | %s | %s | %s |\n", op.Name, op.Detail, count(op.Calls), nanos(op.P50Ns), nanos(op.P90Ns), nanos(op.P99Ns), per)
		}
		p("\n")
	}

	p("## Load phases\n\n| engine | phase | items | time |\n|---|---|--:|--:|\n")
	for _, name := range engineOrder {
		if e := rep.Engines[name]; e != nil {
			for _, ph := range e.LoadPhases {
				p("| %s | %s | %s | %.2f s |\n", name, ph.Name, count(ph.Items), ph.S)
			}
		}
	}
	p("\n## How each engine holds the organisation\n\n")
	for _, name := range engineOrder {
		if e := rep.Engines[name]; e != nil {
			p("- **%s**: %s.\n", name, e.Model)
		}
	}
	p("\nCasbin, OpenFGA and SpiceDB have no time windows here: they are given only the grants active at Epoch (%s of %s); grantdb is given all of them and judges windows itself.\n", count(rep.Active), count(rep.Grants))

	p("\n## Budgets and notes\n\n")
	bu := rep.Budgets
	p("- Budgets: casbin load %.0f s, queries %.0f s; openfga load %.0f s, queries %.0f s, %d tuples per Write (OpenFGA's default limit is 100); spicedb load %.0f s, queries %.0f s, %d relationships per write transaction; %d sampled queries per mix per peer, %d for grantdb, and %d decided queries per peer; each throughput measured for %.0f s (grantdb) and %.0f s (peers); Casbin role manager depth %d. The query budget holds for each mix and for the decided queries.\n",
		bu.CasbinLoadS, bu.CasbinQueryS, bu.OpenFGALoadS, bu.OpenFGAQueryS, bu.OpenFGAWriteBatch, bu.SpiceDBLoadS, bu.SpiceDBQueryS, bu.SpiceDBWriteBatch,
		bu.PeerSamples, bu.GrantdbSamples, bu.DecidedSamples, bu.ThroughputS, bu.PeerThroughputS, bu.CasbinMaxHierarchy)
	for _, name := range engineOrder {
		if e := rep.Engines[name]; e != nil {
			for _, n := range e.Notes {
				p("- %s: %s.\n", name, n)
			}
			if e.Error != "" {
				p("- %s: %s.\n", name, e.Error)
			}
		}
	}
	for _, n := range rep.Notes {
		p("- %s.\n", n)
	}
	p("- Heap after load is the live heap after a full GC minus the live heap before the load (the generated organisation is in both).\n")
	p("- The size plot uses this run and the other sizes' results files in the same directory taken on the same machine:")
	seen := map[string]bool{}
	for _, pt := range rep.SizeCurve {
		if !seen[pt.Size] {
			seen[pt.Size] = true
			p(" %s (%s);", pt.Size, pt.From)
		}
	}
	p(" points of a peer stopped during its load are drawn hollow and left off the line.\n")
	p("- Allocations per check are the process's heap allocations over the timed calls divided by their number: a peer's background goroutines count too.\n")
	p("\n![latency per operation, check latency by organisation size, load time and heap per engine](%s.svg)\n", rep.Size)
	return b.String()
}

// modelName returns the run's access model; files written before the
// rich model existed have none and are flat.
func modelName(rep *Report) string {
	if rep.Model == "" {
		return modelFlat
	}
	return rep.Model
}

// subsetsTable shows, per engine and mix, the compared queries whose
// expected answer involves a deny or an inherited grant, and how many of
// them each engine answered as expected.
func subsetsTable(p func(string, ...any), rep *Report) {
	if modelName(rep) != modelRich {
		return
	}
	p("\nThe **decided** rows are a third sample, compared but not timed: the queries of both mixes whose answer a deny or an inherited grant decides (one decided by a deny for each decided by inheritance alone, while both last), the first %s for each peer and all of them for grantdb, within the query budget.\n", count(rep.Budgets.DecidedSamples))
	p("\nDenies and inheritance among the compared queries (agreed of compared). *Deny applies*: an active deny reaches the user on the entity or a folder above it; *decided by a deny*: without denies the answer would be allowed. *Inherited applies*: an active grant on a folder above the entity reaches the user; *decided by inheritance*: the entity's own grants alone would give the other answer (a folder's allow gives access, or a folder's deny takes it away).\n\n")
	p("| engine | mix | compared | deny applies | decided by a deny | inherited applies | decided by inheritance |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, name := range engineOrder {
		e := rep.Engines[name]
		if e == nil {
			continue
		}
		row := func(mix string, a Agreement) {
			p("| %s | %s | %s | %s | %s | %s | %s |\n", name, mix, count(a.Compared),
				subsetCell(a.Deny), subsetCell(a.DenyDecides), subsetCell(a.Inherited), subsetCell(a.InheritedDecides))
		}
		row(mixHot, e.Agree)
		if e.Uniform != nil {
			row(mixUniform, e.Uniform.Agree)
		}
		if e.Decided != nil {
			row(mixDecided, *e.Decided)
		}
	}
}

func subsetCell(s Subset) string {
	return count(s.Agreed) + " of " + count(s.Compared)
}

// mixCells are one mix's cells of the per-engine table, from the mix's name
// on.
func mixCells(mix string, m *MixResult) string {
	return fmt.Sprintf("%s | %.0f%% | %s | %s | %s | %.1f | %s | %s | %s", mix, 100*m.AllowedShare,
		nanos(m.CheckP50Ns), nanos(m.CheckP90Ns), nanos(m.CheckP99Ns), m.AllocsPerCheck,
		countCell(m.CheckSamples, m.QueryStopped), rate(m.ThroughputSingle), rate(m.ThroughputParallel))
}

// goalsTable states issue 15's goals with this run's values.
func goalsTable(p func(string, ...any), rep *Report) {
	if len(rep.Goals) == 0 {
		return
	}
	p("## Goals (issue 15; set for the large organisation, 1M grants, on this 2-core machine)\n\n")
	p("| measure | goal | measured here | met |\n|---|---|---|---|\n")
	for _, k := range goalKeys {
		gl, ok := rep.Goals[k]
		if !ok {
			continue
		}
		met := "no"
		switch {
		case !gl.MeasuredHere:
			met = "not measured"
		case gl.Met && gl.Scaled:
			met = "yes (scaled)"
		case gl.Met:
			met = "yes"
		}
		p("| %s | %s | %s | %s |\n", gl.Measure, gl.Target, gl.Measured, met)
	}
	if rep.Grants < goalGrants*9/10 {
		p("\nThis run has %s grants: latencies are this size's, and figures marked scaled are extrapolated linearly to 1M.\n", count(rep.Grants))
	}
	p("\n")
}

func loadedCell(e *EngineResult) string {
	if e.LoadStopped || e.LoadItems < e.LoadTotal {
		return fmt.Sprintf("%s of %s (stopped)", count(e.LoadItems), count(e.LoadTotal))
	}
	return count(e.LoadItems)
}

func countCell(n int, stopped bool) string {
	if stopped {
		return count(n) + " (budget)"
	}
	return count(n)
}

func rate(r float64) string {
	switch {
	case r <= 0:
		return "–"
	case r >= 1e6:
		return fmt.Sprintf("%.2fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	default:
		return fmt.Sprintf("%.1f", r)
	}
}

func ratioCell(rep *Report, key string) string {
	r, ok := rep.Ratios[key]
	if !ok {
		return "–"
	}
	prefix := ""
	for _, lb := range rep.LowerBounds {
		if lb == key {
			prefix = "≥ "
		}
	}
	switch {
	case r >= 100:
		return prefix + count(int(math.Round(r))) + "×"
	case r >= 10:
		return fmt.Sprintf("%s%.1f×", prefix, r)
	default:
		return fmt.Sprintf("%s%.2f×", prefix, r)
	}
}

// targets compares grantdb's figures with docs/design.md §4.3, whose
// targets are set for the large organisation (1M grants, 100k users).
func targets(p func(string, ...any), rep *Report) {
	g := rep.Engines[nameGrantdb]
	if g == nil || g.Error != "" {
		return
	}
	p("## grantdb against docs/design.md §4.3 (targets set for the large organisation)\n\n")
	p("| target | measured here |\n|---|--:|\n")
	p("| Check median under 1 µs | %s |\n", nanos(g.CheckP50Ns))
	for _, peer := range peers {
		if _, ok := rep.Ratios["check_vs_"+peer]; ok {
			p("| Check four orders of magnitude (10,000×) faster than %s | %s |\n", peer, ratioCell(rep, "check_vs_"+peer))
		}
	}
	for _, ph := range g.LoadPhases {
		if ph.Name == "BulkCreate" && ph.S > 0 {
			p("| BulkCreate of 1M grants under 15 s (stretch 8 s) | %s grants in %.2f s (%.0fk grants/s; 1M at this rate: %.1f s) |\n",
				count(ph.Items), ph.S, float64(ph.Items)/ph.S/1e3, 1e6*ph.S/float64(ph.Items))
		}
	}
	if rep.Grants > 0 {
		p("| heap under 1.5 KB per stored grant, measured on grants alone | %s B per grant (BulkCreate's share; %s B with the memberships) |\n",
			count(int(g.HeapGrantBytes/int64(rep.Grants))), count(int(g.HeapBytes/int64(rep.Grants))))
	}
	p("\n")
}

// count formats n with thousands separators.
func count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
