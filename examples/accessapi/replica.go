package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/grantdb/grantdb/cluster"
	"github.com/grantdb/grantdb/engine"
)

// replicaOptions makes the engine one replica of many (-nats, -stream): its
// commits go to the JetStream stream named stream, shared with every other
// replica started with the same flags, and the replica holding the lease
// named after the stream (in cluster.DefaultLeaseBucket) runs the AVEVA
// jobs and the expiry sweeps. The connection keeps reconnecting while NATS
// is away: writes fail meanwhile (503, the shared log did not acknowledge
// them) and reads go on. closeNATS closes the connection, after the engine.
// leaseTTL is the TTL of the lease bucket when this replica creates it.
//
// The log keeps snapshots in the object store beside the stream (it is an
// engine.SnapshotStore): a replica with -data, whose directory is then its
// local copy of the log, publishes one after each checkpoint, any replica
// every -snapshot-every (publishSnapshots), and a replica that starts with
// an empty directory, or none, loads the newest and reads the log after it.
func replicaOptions(urls, stream string, leaseTTL time.Duration, logger *slog.Logger) (opts []engine.Option, closeNATS func(), err error) {
	if stream == "" {
		return nil, nil, errors.New("-stream must not be empty with -nats")
	}
	nc, err := nats.Connect(urls, nats.Name("accessapi"), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			logger.Warn("NATS disconnected; writes fail until it is back", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { logger.Info("NATS reconnected", "url", nc.ConnectedUrl()) }))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS %s: %w", urls, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("JetStream: %w", err)
	}
	log, err := cluster.NATS(js, stream)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	lease, err := cluster.NewLease(js, cluster.LeaseConfig{Key: stream, TTL: leaseTTL})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return []engine.Option{engine.WithLog(log), engine.WithLease(lease)}, nc.Close, nil
}

// publishSnapshots publishes a snapshot of eng's published revision to the
// log's object store every interval (-snapshot-every), so that a replica
// that starts with an empty directory, or none, loads it and reads only
// the log after it; PublishSnapshot stores nothing when the newest stored
// snapshot (another replica's) is as new. stop ends it and returns once no
// snapshot is being published, before the engine closes.
func publishSnapshots(eng *engine.Engine, interval time.Duration, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			info, err := eng.PublishSnapshot(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				logger.Warn("publishing a snapshot failed; the next tick tries again", "err", err)
			default:
				logger.Debug("newest snapshot", "revision", info.Revision, "seq", info.Seq)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
