package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// The log's object store holds what does not fit in the stream's records:
// snapshots of the database (snapshots.go) and commits larger than the
// server's maximum payload (bigrecord.go). It is one JetStream object store
// bucket per stream, made at its first use with the stream's storage and
// replication factor.

// maxChunk is the largest chunk the object store is given: its default,
// unless the server's maximum payload is smaller.
const maxChunk = 128 << 10

// payloadHeadroom is what a record leaves of the server's maximum payload
// for the message's headers.
const payloadHeadroom = 1 << 10

// snapshotTimeout bounds a snapshot's upload or download whose context has
// no deadline of its own, as a multiple of Config.Timeout: a snapshot is a
// whole database.
const snapshotTimeout = 12

// objects returns the log's object store. Without create, a bucket that
// does not exist yet is (nil, nil): nothing was ever stored.
func (l *natsLog) objects(ctx context.Context, create bool) (jetstream.ObjectStore, error) {
	l.objMu.Lock()
	defer l.objMu.Unlock()
	if l.obj != nil {
		return l.obj, nil
	}
	obs, err := l.js.ObjectStore(ctx, l.cfg.ObjectStore)
	if errors.Is(err, jetstream.ErrBucketNotFound) && create {
		sc := l.stream.CachedInfo().Config
		obs, err = l.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      l.cfg.ObjectStore,
			Description: "grantdb: snapshots and large commits of stream " + l.cfg.Stream,
			Storage:     sc.Storage,
			Replicas:    sc.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			obs, err = l.js.ObjectStore(ctx, l.cfg.ObjectStore)
		}
	}
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound) && !create:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("cluster: object store %s: %w", l.cfg.ObjectStore, err)
	}
	l.obj = obs
	return obs, nil
}

// maxRecord is the largest record the stream takes as one message.
func (l *natsLog) maxRecord() int {
	return int(l.js.Conn().MaxPayload()) - payloadHeadroom
}

// chunkSize is the object store's chunk size: each chunk is a message.
func (l *natsLog) chunkSize() uint32 {
	return uint32(min(maxChunk, l.maxRecord()))
}

// boundedLong is bounded for a transfer of a whole snapshot.
func (l *natsLog) boundedLong(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, snapshotTimeout*l.cfg.Timeout)
}

// objectNames lists the live objects of the store whose names start with
// prefix; a store with none, or no store, lists nothing.
func (l *natsLog) objectNames(ctx context.Context, obs jetstream.ObjectStore, prefix string) ([]*jetstream.ObjectInfo, error) {
	all, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: object store %s: %w", l.cfg.ObjectStore, err)
	}
	var out []*jetstream.ObjectInfo
	for _, oi := range all {
		if !oi.Deleted && strings.HasPrefix(oi.Name, prefix) {
			out = append(out, oi)
		}
	}
	return out, nil
}
