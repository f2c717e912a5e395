// Command accessapi serves the four access APIs of the seed pages — the
// Aitronos access-control API, the Elacity and Canopy bulk creates and the
// AVEVA bulk access jobs — over one grantdb engine:
//
//	go run ./examples/accessapi -addr 127.0.0.1:8080 -keys keys.json -data ./accessapi.db
//
// -keys is a JSON object mapping each API key to its organisation id; -data
// makes the engine durable in that directory (in memory without it). It prints
// "accessapi: listening on http://ADDR" once it accepts connections, and on
// SIGINT or SIGTERM lets in-flight requests finish, then closes the engine.
// README.md lists the routes and the decisions where a seed page is silent.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/grantdb/grantdb/engine"
)

// defaultEntityTypes are the seeds' entity types: Aitronos's, Elacity's,
// AVEVA's stream and Canopy's node.
const defaultEntityTypes = "knowledge_slice,vector_store,assistant,fleet,registry,environment,stream,node"

// shutdownGrace bounds how long in-flight requests get to finish.
const shutdownGrace = 30 * time.Second

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
	dataDir := fs.String("data", "", "directory holding the durable data; in memory when empty")
	types := fs.String("entity-types", defaultEntityTypes, "comma-separated allowed entity types")
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
	opts, err := engineOptions(*dataDir, *types)
	if err != nil {
		return err
	}
	eng, err := engine.Open(opts...)
	if err != nil {
		return fmt.Errorf("open engine: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		_ = eng.Close()
		return err
	}
	s := newServer(eng, keys)
	s.log = log.New(stderr, "accessapi: ", log.LstdFlags)
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          s.log,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "accessapi: listening on http://%s\n", ln.Addr())

	select {
	case err = <-served: // the listener failed
	case <-ctx.Done():
		fmt.Fprintln(stdout, "accessapi: shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if cerr := eng.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close engine: %w", cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err == nil {
		fmt.Fprintln(stdout, "accessapi: stopped")
	}
	return err
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
