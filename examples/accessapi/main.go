// Command accessapi serves the four access APIs of the seed pages — the
// Aitronos access-control API, the Elacity and Canopy bulk creates and the
// AVEVA bulk access jobs — over one grantdb engine:
//
//	go -C examples/accessapi run . -addr 127.0.0.1:8080 -keys ~/.config/accessapi/keys.json -data ./accessapi.db
//
// (It is its own module, so that NATS stays out of the library's go.mod.)
// -keys is a JSON object mapping each API key to its organisation id; -data
// makes the engine durable in that directory (in memory without it); -nats
// and -stream make it one replica of many sharing a NATS JetStream stream,
// and -data then holds the replica's local copy of it (README.md, "Several
// replicas"); the other flags set the limits
// (README.md, "Limits"). It prints
// "accessapi: listening on http://ADDR" once it accepts connections, logs
// through log/slog to stderr, and on SIGINT or SIGTERM ends the change
// feed's event streams, lets in-flight requests finish (closing what is
// still open after -shutdown-timeout), then closes the engine.
// README.md lists the routes and the decisions where a seed page is silent.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/grantdb/grantdb/cluster"
	"github.com/grantdb/grantdb/engine"
)

// defaultEntityTypes are the seeds' entity types: Aitronos's, Elacity's,
// AVEVA's stream and Canopy's node.
const defaultEntityTypes = "knowledge_slice,vector_store,assistant,fleet,registry,environment,stream,node"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "accessapi:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("accessapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	keysPath := fs.String("keys", "", "JSON file mapping each API key to its organisation id (required)")
	dataDir := fs.String("data", "", "directory holding the durable data (with -nats: this replica's local copy of the log); in memory when empty")
	types := fs.String("entity-types", defaultEntityTypes, "comma-separated allowed entity types")
	natsURL := fs.String("nats", "", "NATS server URL(s), comma-separated: run as one replica of many, sharing the JetStream stream -stream")
	stream := fs.String("stream", "grantdb", "JetStream stream holding the replicas' commits (with -nats); created when missing")
	leaseTTL := fs.Duration("lease-ttl", cluster.DefaultLeaseTTL, "with -nats: how long the jobs and sweeps wait for a replica that died before another takes them over (the TTL of the lease bucket, when this replica creates it)")
	snapshotEvery := fs.Duration("snapshot-every", 0, "with -nats: how often this replica publishes a snapshot to the stream's object store, for replicas that start empty (0: only after each checkpoint of -data)")
	lim := defaultLimits()
	fs.Int64Var(&lim.maxBody, "max-body", lim.maxBody, "largest request body in bytes (413 beyond)")
	fs.Int64Var(&lim.bodyBudget, "max-body-in-flight", lim.bodyBudget, "bytes of request bodies read or held at once across the process (503 with Retry-After beyond)")
	fs.DurationVar(&lim.requestTimeout, "request-timeout", lim.requestTimeout, "deadline of each request's work")
	fs.IntVar(&lim.maxListings, "max-listings", lim.maxListings, "resolved-access listings built at once (others wait, then 503)")
	fs.IntVar(&lim.maxJobSteps, "max-job-steps", lim.maxJobSteps, "most steps (resources) of one AVEVA job (400 beyond)")
	fs.IntVar(&lim.maxJobsInFlight, "max-jobs-in-flight", lim.maxJobsInFlight, "most AVEVA jobs of one organisation not yet ended (429 beyond)")
	fs.IntVar(&lim.maxRetainedJobSteps, "max-retained-job-steps", lim.maxRetainedJobSteps, "most job steps an organisation's jobs keep (400 beyond)")
	fs.IntVar(&lim.maxRetainedJobs, "max-retained-jobs", lim.maxRetainedJobs, "most jobs an organisation keeps (400 beyond)")
	fs.IntVar(&lim.maxStreams, "max-streams", lim.maxStreams, "change-feed event streams open at once (503 with Retry-After beyond)")
	fs.DurationVar(&lim.streamHeartbeat, "stream-heartbeat", lim.streamHeartbeat, "time between two heartbeat comments of a change-feed event stream")
	fs.DurationVar(&lim.revisionWait, "revision-wait", lim.revisionWait, "how long a read with ?at_least_revision waits for that revision (503 with Retry-After past it)")
	tm := defaultTimeouts()
	fs.DurationVar(&tm.readHeader, "read-header-timeout", tm.readHeader, "time to read a request's headers")
	fs.DurationVar(&tm.read, "read-timeout", tm.read, "time to read a whole request")
	fs.DurationVar(&tm.write, "write-timeout", tm.write, "time to answer a request, from the end of its headers; a client that does not read its answer is cut off")
	fs.DurationVar(&tm.idle, "idle-timeout", tm.idle, "time a kept-alive connection may idle")
	fs.DurationVar(&tm.shutdown, "shutdown-timeout", tm.shutdown, "time in-flight requests get to finish on SIGINT or SIGTERM; then connections are closed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h asked for the usage, which is printed
		}
		return err
	}
	if *keysPath == "" {
		return errors.New("-keys is required")
	}
	keys, err := loadKeys(*keysPath)
	if err != nil {
		return err
	}
	if err := lim.valid(); err != nil {
		return err
	}
	if *snapshotEvery < 0 || *snapshotEvery > 0 && *natsURL == "" {
		return errors.New("-snapshot-every must not be negative, and needs -nats")
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	opts, err := engineOptions(*dataDir, *types)
	if err != nil {
		return err
	}
	opts = append(opts, engine.WithLogger(logger))
	if *natsURL != "" {
		replica, closeNATS, err := replicaOptions(*natsURL, *stream, *leaseTTL, logger)
		if err != nil {
			return err
		}
		defer closeNATS() // after the engine closes
		opts = append(opts, replica...)
	}
	eng, err := engine.Open(opts...)
	if err != nil {
		return fmt.Errorf("open engine: %w", err)
	}
	stopSnapshots := func() {}
	if *snapshotEvery > 0 {
		stopSnapshots = publishSnapshots(eng, *snapshotEvery, logger)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		stopSnapshots()
		_ = eng.Close()
		return err
	}
	s := newServer(eng, keys, lim)
	s.log = logger
	srv := newHTTPServer(s, tm, logger)
	srv.RegisterOnShutdown(s.streams.stop) // event streams end, so Shutdown need not wait them out
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "durable", *dataDir != "", "nats", *natsURL, "stream", *stream)
	fmt.Fprintf(stdout, "accessapi: listening on http://%s\n", ln.Addr())

	select {
	case err = <-served: // the listener failed
	case <-ctx.Done():
		fmt.Fprintln(stdout, "accessapi: shutting down")
		logger.Info("shutting down", "grace", tm.shutdown.String())
		sctx, cancel := context.WithTimeout(context.Background(), tm.shutdown)
		err = srv.Shutdown(sctx)
		cancel()
		if err != nil {
			// Past the grace, connections still open (a client that never
			// reads its answer) are cut, so that the engine still closes.
			logger.Warn("shutdown grace over; closing the remaining connections", "err", err)
			_ = srv.Close()
		}
	}
	stopSnapshots()
	if cerr := eng.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close engine: %w", cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err == nil {
		logger.Info("stopped")
		fmt.Fprintln(stdout, "accessapi: stopped")
	}
	return err
}

// newHTTPServer serves h with the timeouts, logging the server's own
// errors (a failed write, a bad TLS hello) through logger.
func newHTTPServer(h http.Handler, tm timeouts, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: tm.readHeader,
		ReadTimeout:       tm.read,
		WriteTimeout:      tm.write,
		IdleTimeout:       tm.idle,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// timeouts are the http.Server's.
type timeouts struct {
	readHeader, read, write, idle, shutdown time.Duration
}

// defaultTimeouts: the write timeout covers the longest request's work
// (defaultRequestTimeout) and the writing of its answer.
func defaultTimeouts() timeouts {
	return timeouts{readHeader: 10 * time.Second, read: time.Minute, write: defaultRequestTimeout + 30*time.Second,
		idle: 2 * time.Minute, shutdown: 30 * time.Second}
}

// valid refuses limits that would refuse everything.
func (l limits) valid() error {
	if l.maxBody <= 0 || l.bodyBudget < l.maxBody {
		return errors.New("-max-body must be positive and -max-body-in-flight at least -max-body")
	}
	if l.maxListings <= 0 || l.maxJobSteps <= 0 || l.maxJobsInFlight <= 0 || l.maxRetainedJobSteps <= 0 || l.maxRetainedJobs <= 0 {
		return errors.New("-max-listings, -max-job-steps, -max-jobs-in-flight, -max-retained-job-steps and -max-retained-jobs must be positive")
	}
	if l.maxStreams <= 0 || l.streamHeartbeat <= 0 || l.revisionWait <= 0 {
		return errors.New("-max-streams, -stream-heartbeat and -revision-wait must be positive")
	}
	return nil
}

// loadKeys reads the keys file: {"key": "org id", ...}.
func loadKeys(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var keys map[string]string
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("%s: want a JSON object of API key to organisation id: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no API keys", path)
	}
	for k, org := range keys {
		if strings.TrimSpace(k) != k || k == "" || org == "" {
			return nil, fmt.Errorf("%s: every key and organisation must be non-empty, keys without surrounding spaces", path)
		}
	}
	return keys, nil
}

// engineOptions turns the flags into engine options.
func engineOptions(dataDir, types string) ([]engine.Option, error) {
	var opts []engine.Option
	if t := strings.TrimSpace(types); t != "" {
		var list []string
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		opts = append(opts, engine.WithEntityTypes(list...))
	}
	if dataDir != "" {
		opts = append(opts, engine.WithPath(dataDir))
	}
	return opts, nil
}
