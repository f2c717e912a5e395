package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/grantdb/grantdb/bench/gen"
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(2)
	}
	if cfg.render {
		if err := render(cfg.out, cfg.size.String()); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		return
	}
	rep, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	if g := rep.Engines[nameGrantdb]; g != nil && g.Error != "" {
		fmt.Fprintln(os.Stderr, "report: grantdb could not be measured:", g.Error)
		os.Exit(1)
	}
	if n := len(rep.Disagreements); n > 0 {
		fmt.Fprintf(os.Stderr, "report: %d disagreement(s) with the expected answers: see %s/%s.md\n", n, cfg.out, rep.Size)
		os.Exit(3)
	}
}

// parseFlags returns the run's config. Defaults let -size large finish in
// about ten minutes on a 2-core machine; -size small is quick enough for CI.
func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	size := fs.String("size", "medium", "organisation size: small (~10k grants), medium (~100k) or large (1M)")
	seed := fs.Uint64("seed", 1, "generator seed")
	accessModel := fs.String("model", modelRich, "access model: rich (the generator's default: folders 3-4 deep holding the entities, ~3% denies) or flat (allows on entities alone, as reports before rich had)")
	out := fs.String("out", "results", "directory for <size>.md, <size>.svg and <size>.json (empty: write nothing)")
	engines := fs.String("engines", strings.Join(append([]string{nameGrantdb}, peers...), ","), "engines to measure, comma-separated")
	gSamples := fs.Int("samples", 200_000, "grantdb: queries per mix checked, timed and compared")
	pSamples := fs.Int("peer-samples", 1000, "casbin, openfga, spicedb: queries per mix checked, timed and compared (within the query budget)")
	decided := fs.Int("decided-samples", 300, "casbin, openfga, spicedb: queries a deny or an inherited grant decides, compared besides the mixes (within the query budget; grantdb: all the mixes hold)")
	casbinLoad := fs.Duration("casbin-load", 60*time.Second, "casbin: load budget")
	casbinQuery := fs.Duration("casbin-query", 60*time.Second, "casbin: query budget (sampled checks)")
	openfgaLoad := fs.Duration("openfga-load", 0, "openfga: load budget, writes stop when it runs out (0: 120s for small, 600s for medium, enough to load it all here, 150s for large)")
	openfgaQuery := fs.Duration("openfga-query", 30*time.Second, "openfga: query budget (sampled checks)")
	spicedbLoad := fs.Duration("spicedb-load", 0, "spicedb: load budget, writes stop when it runs out (0: as openfga's default)")
	spicedbQuery := fs.Duration("spicedb-query", 30*time.Second, "spicedb: query budget (sampled checks)")
	tp := fs.Duration("throughput", 2*time.Second, "grantdb: duration of each throughput measurement")
	peerTP := fs.Duration("peer-throughput", 3*time.Second, "casbin, openfga, spicedb: duration of each throughput measurement")
	batch := fs.Int("openfga-batch", 1000, "openfga: tuples per Write")
	spicedbBatch := fs.Int("spicedb-batch", 1000, "spicedb: relationships per write transaction")
	ops := fs.Bool("ops", true, "measure grantdb's operations besides Check")
	render := fs.Bool("render", false, "measure nothing: rewrite <size>.md and <size>.svg from <size>.json in -out, with the size curve of the files there now")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	s, err := gen.ParseSize(*size)
	if err != nil {
		return config{}, err
	}
	if *accessModel != modelRich && *accessModel != modelFlat {
		return config{}, fmt.Errorf("-model: unknown model %q (want rich or flat)", *accessModel)
	}
	if *batch < 1 || *spicedbBatch < 1 || *gSamples < 1 || *pSamples < 1 || *decided < 0 {
		return config{}, fmt.Errorf("-openfga-batch, -spicedb-batch, -samples and -peer-samples must be positive, -decided-samples not negative")
	}
	names := strings.Split(*engines, ",")
	for _, n := range names {
		if n != nameGrantdb && !slices.Contains(peers, n) {
			return config{}, fmt.Errorf("-engines: unknown engine %q (want grantdb, %s)", n, strings.Join(peers, ", "))
		}
	}
	if *openfgaLoad <= 0 {
		*openfgaLoad = defaultPeerLoad[s]
	}
	if *spicedbLoad <= 0 {
		*spicedbLoad = defaultPeerLoad[s]
	}
	return config{
		size: s, seed: *seed, model: *accessModel, out: *out, engines: names,
		grantdbSamples: *gSamples, peerSamples: *pSamples, decidedSamples: *decided,
		casbinLoad: *casbinLoad, casbinQuery: *casbinQuery,
		openfgaLoad: *openfgaLoad, openfgaQuery: *openfgaQuery,
		spicedbLoad: *spicedbLoad, spicedbQuery: *spicedbQuery,
		throughput: *tp, peerThroughput: *peerTP, openfgaBatch: *batch, spicedbBatch: *spicedbBatch,
		ops: *ops, render: *render, command: "go run . " + strings.Join(args, " "), log: os.Stderr,
	}, nil
}

// defaultPeerLoad is OpenFGA's and SpiceDB's load budget by size: the
// medium organisation's 168k tuples (155k on the flat model) take OpenFGA
// five to six minutes to write here, which the headline comparison can
// afford (with some room for a busier machine); the large one's 1.7M could
// not be written in hours, so it gets a shorter budget and is measured on a
// subset.
var defaultPeerLoad = map[gen.Size]time.Duration{
	gen.Small:  120 * time.Second,
	gen.Medium: 600 * time.Second,
	gen.Large:  150 * time.Second,
}

// nanos formats a duration given in nanoseconds with three significant
// figures.
func nanos(ns float64) string {
	switch {
	case ns <= 0:
		return "–"
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	default:
		return fmt.Sprintf("%.3g s", ns/1e9)
	}
}

// bytesIEC formats a byte count.
func bytesIEC(n int64) string {
	f := float64(n)
	switch {
	case n < 0:
		return fmt.Sprintf("%d B", n)
	case f < 1<<10:
		return fmt.Sprintf("%d B", n)
	case f < 1<<20:
		return fmt.Sprintf("%.1f KiB", f/(1<<10))
	case f < 1<<30:
		return fmt.Sprintf("%.1f MiB", f/(1<<20))
	default:
		return fmt.Sprintf("%.2f GiB", f/(1<<30))
	}
}
