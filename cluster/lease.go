package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/grantdb/grantdb/engine"
)

// Defaults of LeaseConfig.
const (
	// DefaultLeaseBucket is the key-value bucket that keeps the leases.
	DefaultLeaseBucket = "grantdb_leases"
	// DefaultLeaseTTL is how long a lease outlives its holder's last
	// renewal: the longest a database's jobs and sweeps wait after their
	// replica died.
	DefaultLeaseTTL = 10 * time.Second
)

// LeaseConfig is the settings of NewLease. Only Key is required.
type LeaseConfig struct {
	// Key names the lease in the bucket: one per database, for instance
	// its stream's name (letters, digits, "-", "_", "=", "/" and ".").
	Key string
	// Bucket is the key-value bucket. Default: DefaultLeaseBucket. A
	// bucket that exists keeps its own settings, its TTL included.
	Bucket string
	// TTL of a bucket NewLease creates: a lease not renewed for that long
	// lapses, and another replica may take it. Default: DefaultLeaseTTL.
	// The holder renews every TTL/4 and stops its work once TTL*4/5 has
	// passed since its last confirmed renewal was sent, before the bucket
	// can lapse the lease.
	TTL time.Duration
	// Replicas is the replication factor of a bucket NewLease creates
	// (default 1): 3 in production, like the stream.
	Replicas int
	// Storage of a bucket NewLease creates. Default: jetstream.FileStorage.
	Storage jetstream.StorageType
	// Timeout bounds each request. Default: TTL/4.
	Timeout time.Duration
}

// NewLease returns the lease named cfg.Key in the JetStream key-value
// bucket cfg.Bucket, creating the bucket (with cfg's TTL, replicas and
// storage) when it is missing. Pass it to engine.WithLease: the replica
// holding it runs the database's expiry sweeps and jobs. The lease is a key
// whose value names its holder: taking it is a create that fails when the
// key exists, renewing it an update on condition of the revision last
// written (a compare-and-set), and the bucket's TTL lapses a lease whose
// holder stopped renewing. Each NewLease is one holder: give each engine
// its own.
func NewLease(js jetstream.JetStream, cfg LeaseConfig) (engine.Lease, error) {
	if js == nil {
		return nil, errors.New("cluster: no JetStream context")
	}
	if cfg.Key == "" {
		return nil, errors.New("cluster: no lease key")
	}
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultLeaseBucket
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultLeaseTTL
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.TTL / 4
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(cfg.Timeout, DefaultTimeout))
	defer cancel()
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound):
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: cfg.Bucket, TTL: cfg.TTL, Replicas: cfg.Replicas, Storage: cfg.Storage,
			Description: "grantdb leases: the replica running a database's jobs and sweeps",
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket) // another replica made it first
		}
		if err != nil {
			return nil, fmt.Errorf("cluster: create lease bucket %s: %w", cfg.Bucket, err)
		}
	case err != nil:
		return nil, fmt.Errorf("cluster: lease bucket %s: %w", cfg.Bucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: lease bucket %s: %w", cfg.Bucket, err)
	}
	if st.TTL() <= 0 {
		return nil, fmt.Errorf("cluster: lease bucket %s has no TTL: a dead holder's lease would never lapse", cfg.Bucket)
	}
	cfg.TTL = st.TTL() // the bucket's, which lapses leases
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &natsLease{kv: kv, cfg: cfg, holder: []byte(hex.EncodeToString(id))}, nil
}

// natsLease is an engine.Lease on one key of a key-value bucket.
type natsLease struct {
	kv     jetstream.KeyValue
	cfg    LeaseConfig
	holder []byte // this lease's value: who holds the key
}

// errHeldElsewhere is take's answer when another holder has the key.
var errHeldElsewhere = errors.New("cluster: the lease is held by another replica")

// Acquire asks for the key every TTL/4 until it is free (never written,
// released, or lapsed), then holds it.
func (l *natsLease) Acquire(ctx context.Context) (context.Context, func(), error) {
	for {
		sent := time.Now()
		rev, err := l.take(ctx)
		if err == nil {
			return l.hold(sent, rev)
		}
		if !errors.Is(err, errHeldElsewhere) {
			return nil, nil, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(l.cfg.TTL / 4):
		}
	}
}

// take writes this holder into the key when it is free, or when it still
// names this holder (an earlier hold that ended here before the bucket
// lapsed it), and returns the key's revision.
func (l *natsLease) take(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	rev, err := l.kv.Create(ctx, l.cfg.Key, l.holder)
	if err == nil {
		return rev, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("cluster: take lease %s: %w", l.cfg.Key, err)
	}
	entry, err := l.kv.Get(ctx, l.cfg.Key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return 0, errHeldElsewhere // gone since the create: ask again soon
	case err != nil:
		return 0, fmt.Errorf("cluster: read lease %s: %w", l.cfg.Key, err)
	case !bytes.Equal(entry.Value(), l.holder):
		return 0, errHeldElsewhere
	}
	rev, err = l.kv.Update(ctx, l.cfg.Key, l.holder, entry.Revision())
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, errHeldElsewhere
	}
	return rev, err
}

// hold renews the key at revision rev, written by a request sent at sent,
// until release or until a renewal fails to be confirmed in time.
func (l *natsLease) hold(sent time.Time, rev uint64) (context.Context, func(), error) {
	held, lose := context.WithCancelCause(context.Background())
	// The bucket lapses the key TTL after it stored it, which is after the
	// request was sent: stopping at four fifths of TTL after the send
	// leaves the rest for clocks that run at slightly different rates.
	valid := l.cfg.TTL * 4 / 5
	expiry := time.AfterFunc(time.Until(sent.Add(valid)), func() {
		lose(fmt.Errorf("cluster: lease %s: no renewal confirmed in %s", l.cfg.Key, valid))
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex // guards rev against release
	wg.Go(func() {
		tick := time.NewTicker(l.cfg.TTL / 4)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-held.Done():
				return
			case <-tick.C:
			}
			sent := time.Now()
			ctx, cancel := context.WithDeadline(held, sent.Add(l.cfg.Timeout))
			mu.Lock()
			next, err := l.kv.Update(ctx, l.cfg.Key, l.holder, rev)
			if err == nil {
				rev = next
			}
			mu.Unlock()
			cancel()
			switch {
			case err == nil:
				expiry.Reset(time.Until(sent.Add(valid)))
			case errors.Is(err, jetstream.ErrKeyRevisionMismatch):
				lose(fmt.Errorf("cluster: lease %s was taken by another replica", l.cfg.Key))
				return
			}
			// Any other failure is tried again at the next tick, until
			// the expiry timer gives the lease up.
		}
	})
	var once sync.Once
	release := func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			expiry.Stop()
			stillHeld := held.Err() == nil
			lose(errors.New("cluster: lease released"))
			if !stillHeld {
				return // lapsed or taken: the key is not ours to delete
			}
			ctx, cancel := context.WithTimeout(context.Background(), l.cfg.Timeout)
			defer cancel()
			mu.Lock()
			defer mu.Unlock()
			// Only the revision this holder wrote last is deleted: a key
			// another replica took since stays.
			_ = l.kv.Delete(ctx, l.cfg.Key, jetstream.LastRevision(rev))
		})
	}
	return held, release, nil
}
