package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/cluster"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// openConfigured opens a replica on the log cluster.New makes of cfg.
func openConfigured(t testing.TB, js jetstream.JetStream, cfg cluster.Config, opts ...engine.Option) *engine.Engine {
	t.Helper()
	log, err := cluster.New(js, cfg)
	require.NoError(t, err)
	e, err := engine.Open(append([]engine.Option{engine.WithLog(log), engine.WithSweepInterval(0)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// loadFor runs writeLoad on e, as writer w, for d.
func loadFor(t *testing.T, e *engine.Engine, w int, d time.Duration) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		writeLoad(t, e, w, stop, &oracle{grants: map[string]model.Grant{}, members: map[model.Membership]bool{}})
	})
	time.Sleep(d)
	close(stop)
	wg.Wait()
	require.False(t, t.Failed())
}

// objectNames lists the object store's live objects whose names start with
// prefix.
func objectNames(t *testing.T, js jetstream.JetStream, bucket, prefix string) []string {
	t.Helper()
	obs, err := js.ObjectStore(t.Context(), bucket)
	require.NoError(t, err)
	all, err := obs.List(t.Context())
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil
	}
	require.NoError(t, err)
	var out []string
	for _, oi := range all {
		if strings.HasPrefix(oi.Name, prefix) {
			out = append(out, oi.Name)
		}
	}
	return out
}

// TestNewReplicaJoinsFromTheSnapshot writes every kind of write on one
// replica, publishes a snapshot (the stream keeping 5 records below it),
// writes on, and then opens replicas with an empty directory and with
// none: both start from the object store's snapshot (the stream no longer
// holds the first records) and the log after it, and answer as the writer.
func TestNewReplicaJoinsFromTheSnapshot(t *testing.T) {
	node := startNode(t)
	js := connect(t, node.url())
	cfg := cluster.Config{Stream: "joins", KeepRecords: 5}
	writer := openConfigured(t, js, cfg)
	loadFor(t, writer, 0, 500*time.Millisecond)
	info, err := writer.PublishSnapshot(t.Context())
	require.NoError(t, err)
	require.Greater(t, info.Seq, uint64(5))
	assert.Equal(t, writer.Revision(), info.Revision)
	loadFor(t, writer, 1, 200*time.Millisecond)

	stream, err := js.Stream(t.Context(), "joins")
	require.NoError(t, err)
	st, err := stream.Info(t.Context())
	require.NoError(t, err)
	assert.Equal(t, info.Seq-4, st.State.FirstSeq, "the stream is trimmed below the snapshot")
	assert.Equal(t, []string{"snapshot-" + pad20(info.Seq)}, objectNames(t, js, "joins-objects", "snapshot-"))

	dir := t.TempDir()
	joined := []*engine.Engine{
		openConfigured(t, connect(t, node.url()), cfg, engine.WithPath(dir)),
		openConfigured(t, connect(t, node.url()), cfg),
	}
	converge(t, append(joined, writer)...)
	want := answersAfter(t, writer, 2, info.Revision)
	for i, e := range joined {
		assert.Equal(t, want, answersAfter(t, e, 2, info.Revision), "replica %d", i)
		_, err := e.Changes(t.Context(), org, info.Revision-1, 10)
		assert.ErrorIs(t, err, model.ErrCompacted, "no feed before the snapshot")
	}

	// The one with a directory holds the snapshot and what followed: it
	// reopens from there.
	require.NoError(t, joined[0].Close())
	loadFor(t, writer, 2, 100*time.Millisecond)
	again := openConfigured(t, connect(t, node.url()), cfg, engine.WithPath(dir))
	converge(t, again, writer)
	assert.Equal(t, answersAfter(t, writer, 3, info.Revision), answersAfter(t, again, 3, info.Revision))
}

func pad20(n uint64) string { return fmt.Sprintf("%020d", n) }

// TestLargeCommitGoesThroughTheObjectStore runs a server whose maximum
// payload is 16 KiB: a BulkCreate of 3000 grants, racing single writes on
// another replica, is stored as an object named by one small record, and
// replicates. Once a snapshot is stored and the stream trimmed past it, its
// object is deleted, and so is an orphan (an object no record names).
func TestLargeCommitGoesThroughTheObjectStore(t *testing.T) {
	node := &natsNode{t: t, opts: server.Options{
		Host: "127.0.0.1", Port: -1, MaxPayload: 16 << 10,
		JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	}}
	node.start()
	t.Cleanup(node.stop)
	js := connect(t, node.url())
	cfg := cluster.Config{Stream: "large", KeepRecords: 1}
	a := openConfigured(t, js, cfg)
	b := openConfigured(t, connect(t, node.url()), cfg)
	ctx := context.Background()

	items := make([]model.GrantInput, 3000)
	for i := range items {
		items[i] = model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: fmt.Sprintf("bulk-%d", i)},
			Grantee: model.User("alice"), Level: model.LevelRead}
	}
	// Single writes on b race the bulk's first tries (a large commit
	// takes longer to store, so it lands once b pauses: it is never
	// split around b's records).
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 30 {
			time.Sleep(5 * time.Millisecond)
			_, err := b.CreateGrant(ctx, org, model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: fmt.Sprintf("single-%d", i)},
				Grantee: model.User("bob"), Level: model.LevelRead})
			if !assert.NoError(t, err) {
				return
			}
		}
	})
	res, err := a.BulkCreate(ctx, org, items, bulk.Options{})
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, 3000, res.Summary.Succeeded)
	// One object: the landed bulk's (a try that lost the race deletes its own).
	require.Len(t, objectNames(t, js, "large-objects", "commit-"), 1, "the bulk's record is an object")

	converge(t, a, b)
	want := answersOf(t, a, 1)
	assert.Equal(t, want, answersOf(t, b, 1))
	assert.Len(t, allGrants(t, b), len(allGrants(t, a)))

	// An orphan: an object written for a sequence whose record is another.
	obs, err := js.ObjectStore(ctx, "large-objects")
	require.NoError(t, err)
	_, err = obs.PutBytes(ctx, "commit-"+pad20(1)+"-0000000000000000", []byte("lost race"))
	require.NoError(t, err)
	_, err = a.CreateGrant(ctx, org, model.GrantInput{Entity: model.EntityRef{Type: "doc", ID: "last"}, Grantee: model.User("alice"), Level: model.LevelRead})
	require.NoError(t, err)
	_, err = a.PublishSnapshot(ctx)
	require.NoError(t, err)
	assert.Empty(t, objectNames(t, js, "large-objects", "commit-"), "trimmed and orphaned commits are deleted")

	late := openConfigured(t, connect(t, node.url()), cfg)
	converge(t, a, b, late)
	assert.Equal(t, allGrants(t, a), allGrants(t, late))
}

// TestCheckpointsPublishAndTrim runs a load on a replica with a directory
// that checkpoints every 40 commits: each checkpoint stores a snapshot and
// trims the stream, while writes go on, and a replica that joins then
// starts from the newest snapshot.
func TestCheckpointsPublishAndTrim(t *testing.T) {
	node := startNode(t)
	cfg := cluster.Config{Stream: "checkpoints", KeepRecords: 10}
	writer := openConfigured(t, connect(t, node.url()), cfg, engine.WithPath(t.TempDir()), engine.WithCheckpointEvery(40, 0))
	js := connect(t, node.url())
	stream, err := js.Stream(t.Context(), "checkpoints")
	require.NoError(t, err)
	// The stream is trimmed just after the snapshot is stored: wait for
	// both, not for the snapshot alone.
	trimmed := func() bool {
		st, err := stream.Info(t.Context())
		return err == nil && st.State.FirstSeq > 1
	}
	require.Eventually(t, func() bool {
		loadFor(t, writer, 0, 200*time.Millisecond)
		if _, err := js.ObjectStore(t.Context(), "checkpoints-objects"); err != nil {
			return false // no snapshot stored yet
		}
		return len(objectNames(t, js, "checkpoints-objects", "snapshot-")) > 0 && trimmed()
	}, wait, time.Millisecond, "a checkpoint stores a snapshot and trims the stream")

	joined := openConfigured(t, connect(t, node.url()), cfg)
	converge(t, writer, joined)
	assert.Equal(t, allGrants(t, writer), allGrants(t, joined))
}
