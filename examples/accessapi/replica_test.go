package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/cluster"
	"github.com/grantdb/grantdb/engine"
)

// TestTwoReplicasReadTheirWrites runs two replicas of the built service
// (-nats, -stream) on one in-process nats-server with JetStream, over
// loopback HTTP: a grant created on one is read on the other with
// ?at_least_revision set to the write's Grantdb-Revision; a membership
// added on the second reaches the first the same way; an AVEVA job
// submitted on either ends, and both list it alike; a long job goes on
// after the replica running it is killed. The killed replica keeps its
// local copy in -data: restarted on that directory, it catches up and
// serves the write made on the other meanwhile; the other publishes
// snapshots (-snapshot-every), and a third replica with an empty -data
// joins from one. With NATS gone, writes answer 503 and reads go on.
func TestTwoReplicasReadTheirWrites(t *testing.T) {
	opts := &natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true}
	ns, err := natsserver.NewServer(opts)
	require.NoError(t, err)
	go ns.Start()
	require.True(t, ns.ReadyForConnections(30*time.Second), "nats-server did not start")
	t.Cleanup(ns.Shutdown)
	natsURL := "nats://" + ns.Addr().(*net.TCPAddr).String()

	dir := t.TempDir()
	bin := filepath.Join(dir, "accessapi")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	keys := filepath.Join(dir, "keys.json")
	require.NoError(t, os.WriteFile(keys, []byte(`{"key-xyz": "org_xyz789", "key-avv": "tenant1/ns1"}`), 0o600))
	replica := []string{"-keys", keys, "-nats", natsURL, "-stream", "accessapi", "-lease-ttl", "2s"}
	aDir := filepath.Join(dir, "a.db")
	a := startService(t, bin, append(replica, "-data", aDir)...)
	b := startService(t, bin, append(replica, "-snapshot-every", "100ms")...)

	r := a.call(t, http.MethodPost, grantsPath, keyXYZ, map[string]string{"entity_type": "knowledge_slice", "entity_id": "ks1",
		"grantee_type": "department", "grantee_id": "eng", "access_level": "write"})
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	rev := r.Header.Get("Grantdb-Revision")
	_, err = strconv.ParseUint(rev, 10, 64)
	require.NoError(t, err, "the write's revision: %q", rev)
	created := r.Raw
	id := r.Object(t)["id"].(string)

	r = b.call(t, http.MethodGet, grantsPath+"/"+id+"?at_least_revision="+rev, keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.JSONEq(t, string(created), string(r.Raw), "b reads a's write")

	member := "/v1/organizations/org_xyz789/access/groups/department/eng/members/user/u1"
	r = b.call(t, http.MethodPut, member, keyXYZ, nil)
	require.Equal(t, http.StatusNoContent, r.Status, "body: %s", r.Raw)
	rev = r.Header.Get("Grantdb-Revision")
	resolved := "/v1/organizations/org_xyz789/access/users/u1/resolved-access/knowledge_slice/ks1?at_least_revision=" + rev
	r = a.call(t, http.MethodGet, resolved, keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.Equal(t, "write", r.Object(t)["access_level"], "a reads b's write")

	// The lease holder runs the job, whichever replica took it.
	job := b.runJob(t, map[string]any{"Operation": 1, "Scope": 1, "ResourceIds": []string{"s1", "s2"},
		"AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": []any{
			map[string]any{"Trustee": map[string]any{"Type": 1, "ObjectId": "alice"}, "AccessType": 0, "AccessRights": 1}}}})
	assert.EqualValues(t, 3, job["Status"], "Succeeded")
	jobPath := jobsPath + "/" + job["Id"].(string)
	require.Eventually(t, func() bool {
		r := a.call(t, http.MethodGet, jobPath, keyTenant, nil)
		return r.Status == http.StatusOK && r.Object(t)["Status"] == float64(3)
	}, 30*time.Second, 50*time.Millisecond, "a sees the job's end")
	assert.JSONEq(t, string(b.call(t, http.MethodGet, jobPath, keyTenant, nil).Raw), string(a.call(t, http.MethodGet, jobPath, keyTenant, nil).Raw))

	// The replica running a long job is killed mid-job (a started first,
	// so it holds the lease; whichever does, the other finishes the job).
	var resources []string
	for i := range 1000 {
		resources = append(resources, "long"+strconv.Itoa(i))
	}
	r = b.call(t, http.MethodPost, jobsPath, keyTenant, map[string]any{"Operation": 1, "Scope": 1, "ResourceIds": resources,
		"AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": []any{
			map[string]any{"Trustee": map[string]any{"Type": 1, "ObjectId": "bob"}, "AccessType": 0, "AccessRights": 1}}}})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	longPath := jobsPath + "/" + r.Object(t)["Id"].(string)
	require.Eventually(t, func() bool {
		r := b.call(t, http.MethodGet, longPath, keyTenant, nil)
		return r.Status == http.StatusOK && r.Object(t)["StepsProcessed"].(float64) > 0
	}, 30*time.Second, 5*time.Millisecond, "the job never started")
	require.NoError(t, a.cmd.Process.Kill())
	<-a.exited
	r = b.call(t, http.MethodGet, longPath, keyTenant, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	t.Logf("killed the first replica at step %v of 1000", r.Object(t)["StepsProcessed"])
	sum := b.runJobPoll(t, longPath)
	assert.EqualValues(t, 3, sum["Status"], "Succeeded, on b")
	assert.EqualValues(t, 1000, sum["StepsSucceeded"])

	// A write on b while a is down; a, restarted on its directory, reads
	// the log after its copy and serves it.
	r = b.call(t, http.MethodPost, grantsPath, keyXYZ, map[string]string{"entity_type": "knowledge_slice", "entity_id": "ks3",
		"grantee_type": "user", "grantee_id": "u3", "access_level": "read"})
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	missed, missedRev := r.Raw, r.Header.Get("Grantdb-Revision")
	missedID := r.Object(t)["id"].(string)
	copyFiles, err := os.ReadDir(aDir)
	require.NoError(t, err)
	assert.NotEmpty(t, copyFiles, "a's local copy")
	a = startService(t, bin, append(replica, "-data", aDir)...)
	r = a.call(t, http.MethodGet, grantsPath+"/"+missedID+"?at_least_revision="+missedRev, keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.JSONEq(t, string(missed), string(r.Raw), "restarted on its copy, a serves the write it missed")
	r = a.call(t, http.MethodGet, longPath, keyTenant, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.EqualValues(t, 3, r.Object(t)["Status"], "a knows the job b finished")

	// b published a snapshot of the missed write's revision or later; a
	// replica with an empty directory joins from it, then the log.
	requireSnapshotAtLeast(t, natsURL, "accessapi", missedRev)
	c := startService(t, bin, append(replica, "-data", filepath.Join(dir, "c.db"))...)
	r = c.call(t, http.MethodGet, grantsPath+"/"+missedID+"?at_least_revision="+missedRev, keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.JSONEq(t, string(missed), string(r.Raw), "c, joined from the snapshot, serves the write")
	c.stop(t)

	ns.Shutdown()
	ns.WaitForShutdown()
	r = a.call(t, http.MethodPost, grantsPath, keyXYZ, map[string]string{"entity_type": "knowledge_slice", "entity_id": "ks2",
		"grantee_type": "user", "grantee_id": "u2", "access_level": "read"})
	assert.Equal(t, http.StatusServiceUnavailable, r.Status, "a write with NATS down; body: %s", r.Raw)
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
	r = a.call(t, http.MethodGet, grantsPath+"/"+id, keyXYZ, nil)
	assert.Equal(t, http.StatusOK, r.Status, "reads go on with NATS down")
	a.stop(t)
	b.stop(t)
}

// runJobPoll polls the AVEVA job at path until it ends (bounded).
func (p *service) runJobPoll(t *testing.T, path string) map[string]any {
	t.Helper()
	for range 1200 { // at most a minute
		r := p.call(t, http.MethodGet, path, keyTenant, nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		if sum := r.Object(t); sum["Status"].(float64) >= 3 {
			return sum
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s did not end", path)
	return nil
}

// requireSnapshotAtLeast waits (bounded) until the log of stream holds a
// snapshot (in its object store) of revision rev or later.
func requireSnapshotAtLeast(t *testing.T, natsURL, stream, rev string) {
	t.Helper()
	want, err := strconv.ParseUint(rev, 10, 64)
	require.NoError(t, err)
	nc, err := nats.Connect(natsURL)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		log, err := cluster.NATS(js, stream)
		if err != nil {
			return false
		}
		info, found, err := log.(engine.SnapshotStore).LatestSnapshot(t.Context())
		return err == nil && found && info.Revision >= want
	}, 30*time.Second, 50*time.Millisecond, "no snapshot of revision %d or later beside stream %s", want, stream)
}

// TestSnapshotEveryNeedsNATS: -snapshot-every publishes to the log's object
// store, so it is refused without -nats, and so is a negative interval.
func TestSnapshotEveryNeedsNATS(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.json")
	require.NoError(t, os.WriteFile(keys, []byte(`{"key-xyz": "org_xyz789"}`), 0o600))
	for _, args := range [][]string{
		{"-snapshot-every", "1m"},
		{"-snapshot-every", "-1s", "-nats", "nats://127.0.0.1:1"},
	} {
		err := run(t.Context(), append([]string{"-addr", "127.0.0.1:0", "-keys", keys}, args...), io.Discard, io.Discard)
		assert.ErrorContains(t, err, "-snapshot-every", "%v", args)
	}
}
