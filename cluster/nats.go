// Package cluster keeps a grantdb database's commits in a NATS JetStream
// stream, so that several replicas of a service share them: each replica
// opens its engine with engine.WithLog(log), where log comes from NATS or
// New. The stream's expected-last-sequence check is the conditional append
// that orders the replicas' writes: the consensus is JetStream's.
//
// The stream holds this database's records only, on one subject. Create it
// yourself with the replication factor you want (3 in production, so that
// writes go on while one NATS server is down); NATS creates it, when it is
// missing, with file storage and one replica, so that one nats-server
// works.
//
// Beside the stream, a JetStream object store (Config.ObjectStore, made at
// its first use) keeps what does not fit in a record: the database's
// snapshots, so that the log is also an engine.SnapshotStore (a replica that
// starts empty loads the newest, and the stream can be trimmed below it,
// Config.KeepRecords), and commits larger than the server's maximum payload,
// each named by one small record of the stream.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/grantdb/grantdb/engine"
)

// Defaults of Config.
const (
	// DefaultTimeout bounds each request to JetStream (a context with an
	// earlier deadline ends it sooner).
	DefaultTimeout = 5 * time.Second
	// DefaultReadBatch is how many records one Read returns at most.
	DefaultReadBatch = 256
)

// Config is the settings of New. Only Stream is required.
type Config struct {
	// Stream is the JetStream stream's name.
	Stream string
	// Subject is the subject records are published on. Default: the
	// stream's only subject when it exists, else "grantdb." + Stream.
	Subject string
	// Replicas is the replication factor of a stream New creates
	// (default 1); a stream that exists keeps its own.
	Replicas int
	// Storage of a stream New creates. Default: jetstream.FileStorage.
	Storage jetstream.StorageType
	// Timeout bounds each request, so that a write fails with
	// engine.ErrNotReplicated that soon when NATS is unreachable, whatever
	// its context's deadline; an earlier deadline ends it sooner.
	// Default: DefaultTimeout.
	Timeout time.Duration
	// ReadBatch is how many records one Read returns at most. Default:
	// DefaultReadBatch.
	ReadBatch int
	// ObjectStore is the JetStream object store bucket that keeps the
	// snapshots of the database and the records larger than the server's
	// maximum payload; it is created at its first use, with the stream's
	// storage and replication factor. Default: Stream + "-objects".
	ObjectStore string
	// KeepRecords, when not 0, trims the stream each time a snapshot is
	// stored: the records more than KeepRecords before the snapshot's
	// sequence are purged (its own record and the KeepRecords-1 before it
	// stay). A replica whose local copy is older then starts from the
	// snapshot. Default: 0, the stream is never trimmed.
	KeepRecords uint64
	// KeepSnapshots is how many snapshots are kept: storing one deletes
	// the older ones beyond it. Default: DefaultKeepSnapshots.
	KeepSnapshots int
}

// DefaultKeepSnapshots is Config.KeepSnapshots' default.
const DefaultKeepSnapshots = 2

// NATS returns the log kept in the JetStream stream named stream: it binds
// to the stream when it exists, and creates it (file storage, one replica,
// subject "grantdb." + stream) when it does not. It is New with defaults.
func NATS(js jetstream.JetStream, stream string) (engine.Log, error) {
	return New(js, Config{Stream: stream})
}

// New returns the log kept in the stream cfg.Stream, as NATS does, with
// cfg's settings. A stream with several subjects needs cfg.Subject.
func New(js jetstream.JetStream, cfg Config) (engine.Log, error) {
	if js == nil {
		return nil, errors.New("cluster: no JetStream context")
	}
	if cfg.Stream == "" {
		return nil, errors.New("cluster: no stream name")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ReadBatch <= 0 {
		cfg.ReadBatch = DefaultReadBatch
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.ObjectStore == "" {
		cfg.ObjectStore = cfg.Stream + "-objects"
	}
	if cfg.KeepSnapshots <= 0 {
		cfg.KeepSnapshots = DefaultKeepSnapshots
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	s, err := js.Stream(ctx, cfg.Stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		if cfg.Subject == "" {
			cfg.Subject = "grantdb." + cfg.Stream
		}
		s, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:     cfg.Stream,
			Subjects: []string{cfg.Subject},
			Storage:  cfg.Storage,
			Replicas: cfg.Replicas,
		})
		if err != nil {
			return nil, fmt.Errorf("cluster: create stream %s: %w", cfg.Stream, err)
		}
	case err != nil:
		return nil, fmt.Errorf("cluster: stream %s: %w", cfg.Stream, err)
	case cfg.Subject == "":
		subjects := s.CachedInfo().Config.Subjects
		if len(subjects) != 1 {
			return nil, fmt.Errorf("cluster: stream %s has %d subjects: name the one to use (Config.Subject)", cfg.Stream, len(subjects))
		}
		cfg.Subject = subjects[0]
	}
	return &natsLog{js: js, stream: s, cfg: cfg}, nil
}

// natsLog is an engine.Log on one JetStream stream, and an
// engine.SnapshotStore on its object store (snapshots.go).
type natsLog struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	cfg    Config

	objMu sync.Mutex
	obj   jetstream.ObjectStore // once found or made (objects.go)
}

// bounded gives ctx the configured timeout, unless its own deadline is
// sooner: a service's request deadline is often far longer than a write
// should wait for an unreachable NATS.
func (l *natsLog) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, l.cfg.Timeout)
}

// Append publishes record with JetStream's expected last sequence, so the
// stream stores it only when nothing was stored since expectLast.
func (l *natsLog) Append(ctx context.Context, expectLast uint64, record []byte) (uint64, error) {
	ctx, cancel := l.bounded(ctx)
	defer cancel()
	if len(record) > l.maxRecord() {
		return l.appendLarge(ctx, expectLast, record)
	}
	ack, err := l.js.Publish(ctx, l.cfg.Subject, record, jetstream.WithExpectLastSequence(expectLast))
	if err != nil {
		if wrongLastSequence(err) {
			return 0, fmt.Errorf("cluster: append after %d: %w", expectLast, engine.ErrLogConflict)
		}
		return 0, fmt.Errorf("cluster: append to stream %s: %w", l.cfg.Stream, err)
	}
	return ack.Sequence, nil
}

// wrongLastSequence reports whether err is JetStream's refusal of an
// expected last sequence (replicated streams use the second code).
func wrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Read asks the stream for its last sequence, then gets the records after
// after one by one, up to ReadBatch of them. A catch-up after a lost race
// reads a few records, so a request per record costs less than a consumer.
func (l *natsLog) Read(ctx context.Context, after uint64) ([]engine.LogRecord, error) {
	ctx, cancel := l.bounded(ctx)
	defer cancel()
	info, err := l.stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: stream %s: %w", l.cfg.Stream, err)
	}
	var out []engine.LogRecord
	for seq := max(after+1, info.State.FirstSeq); seq <= info.State.LastSeq && len(out) < l.cfg.ReadBatch; seq++ {
		msg, err := l.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted from the stream
		}
		if err != nil {
			return nil, fmt.Errorf("cluster: stream %s: record %d: %w", l.cfg.Stream, seq, err)
		}
		rec, err := l.record(ctx, seq, msg.Header, msg.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, engine.LogRecord{Seq: seq, Record: rec})
	}
	return out, nil
}

// Follow reads the stream through an ordered consumer (ephemeral, recreated
// by the client after a failure) from after+1. After Timeout without a
// record it stops, without an error, and the engine follows again: a
// consumer stranded on a NATS server that died never stalls a replica for
// longer.
func (l *natsLog) Follow(ctx context.Context, after uint64) iter.Seq2[engine.LogRecord, error] {
	return func(yield func(engine.LogRecord, error) bool) {
		cc := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
		if after > 0 {
			cc = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: after + 1}
		}
		cctx, cancel := l.bounded(ctx)
		cons, err := l.stream.OrderedConsumer(cctx, cc)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				yield(engine.LogRecord{}, fmt.Errorf("cluster: follow stream %s: %w", l.cfg.Stream, err))
			}
			return
		}
		msgs, err := cons.Messages()
		if err != nil {
			yield(engine.LogRecord{}, fmt.Errorf("cluster: follow stream %s: %w", l.cfg.Stream, err))
			return
		}
		// Stopping the iterator is what ends a Next in progress: at ctx's
		// end, and after a quiet spell, so that a consumer left on a
		// server that died is made anew (the engine follows again from
		// the last record it applied).
		var idle atomic.Bool
		quiet := time.AfterFunc(l.cfg.Timeout, func() { idle.Store(true); msgs.Stop() })
		defer quiet.Stop()
		stop := context.AfterFunc(ctx, msgs.Stop)
		defer stop()
		defer msgs.Stop()
		for {
			msg, err := msgs.Next()
			if ctx.Err() != nil || idle.Load() {
				return
			}
			if err != nil {
				yield(engine.LogRecord{}, fmt.Errorf("cluster: follow stream %s: %w", l.cfg.Stream, err))
				return
			}
			quiet.Reset(l.cfg.Timeout)
			meta, err := msg.Metadata()
			if err != nil {
				yield(engine.LogRecord{}, fmt.Errorf("cluster: follow stream %s: %w", l.cfg.Stream, err))
				return
			}
			// Fetching a large record is not a quiet spell.
			quiet.Stop()
			rec, err := l.record(ctx, meta.Sequence.Stream, msg.Headers(), msg.Data())
			if err != nil {
				yield(engine.LogRecord{}, err)
				return
			}
			quiet.Reset(l.cfg.Timeout)
			if !yield(engine.LogRecord{Seq: meta.Sequence.Stream, Record: rec}, nil) {
				return
			}
		}
	}
}
