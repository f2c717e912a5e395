package cluster_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// The environment of TestHelperReplica, set by the test that runs it as a
// process of its own.
const (
	helperNATS   = "GRANTDB_HELPER_NATS"
	helperStream = "GRANTDB_HELPER_STREAM"
	helperDir    = "GRANTDB_HELPER_DIR"
)

// TestHelperReplica is not a test: run by TestReplicaKilledMidLoadCatchesUp
// as a process of its own, it opens a replica on a directory, says "open"
// and writes (every kind, as writer 1) until it is killed.
func TestHelperReplica(t *testing.T) {
	url := os.Getenv(helperNATS)
	if url == "" {
		t.Skip("run by TestReplicaKilledMidLoadCatchesUp")
	}
	e := openReplica(t, connect(t, url), os.Getenv(helperStream), engine.WithPath(os.Getenv(helperDir)))
	os.Stdout.WriteString("open\n")
	writeLoad(t, e, 1, make(chan struct{}), &oracle{grants: map[string]model.Grant{}, members: map[model.Membership]bool{}})
}

// TestReplicaKilledMidLoadCatchesUp runs a replica with a directory in a
// process of its own, writing beside a replica of this process, and kills
// it (SIGKILL) in the middle of that load. Reopened on its directory, it
// loads its local copy, reads the log after it, and reaches the revision
// and the answers of the replica that went on writing and of one that
// read the whole log.
func TestReplicaKilledMidLoadCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a replica in another process")
	}
	node := startNode(t)
	const stream = "killed"
	here := openReplica(t, connect(t, node.url()), stream)
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperReplica$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), helperNATS+"="+node.url(), helperStream+"="+stream, helperDir+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	opened := make(chan bool, 1)
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if strings.TrimSpace(lines.Text()) == "open" {
				opened <- true
				continue
			}
			t.Logf("replica process: %s", lines.Text())
		}
		close(opened)
	}()
	select {
	case ok := <-opened:
		require.True(t, ok, "the replica process ended before it opened")
	case <-time.After(wait):
		t.Fatal("the replica process did not open")
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		writeLoad(t, here, 0, stop, &oracle{grants: map[string]model.Grant{}, members: map[model.Membership]bool{}})
	})
	// Kill it once both have written a while: mid-write, with records of
	// its own and of the other replica in its journal.
	start := here.Revision()
	require.Eventually(t, func() bool {
		return here.Revision() >= start+100 && countGrants(t, here, "w1-") >= 10
	}, wait, 20*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	killed = true
	_ = cmd.Wait()
	time.Sleep(200 * time.Millisecond) // writes go on without it
	close(stop)
	wg.Wait()
	require.False(t, t.Failed())

	reopened := openReplica(t, connect(t, node.url()), stream, engine.WithPath(dir))
	fresh := openReplica(t, connect(t, node.url()), stream)
	rev := converge(t, here, reopened, fresh)
	t.Logf("%d commits; the killed replica's copy reopened and caught up", rev)
	want := answersOf(t, here, 2)
	assert.Equal(t, want, answersOf(t, reopened, 2))
	assert.Equal(t, want, answersOf(t, fresh, 2))

	// It writes again, and the others see it.
	g, err := reopened.CreateGrant(t.Context(), org, model.GrantInput{
		Entity: model.EntityRef{Type: "doc", ID: "after-restart"}, Grantee: model.User("alice"), Level: model.LevelRead})
	require.NoError(t, err)
	converge(t, here, reopened, fresh)
	got, err := here.GetGrant(t.Context(), org, g.ID)
	require.NoError(t, err)
	assert.Equal(t, g, got)
}

// countGrants counts the grants of e on entities whose id starts with prefix.
func countGrants(t *testing.T, e *engine.Engine, prefix string) int {
	n := 0
	for _, g := range allGrants(t, e) {
		if strings.HasPrefix(g.Entity.ID, prefix) {
			n++
		}
	}
	return n
}

// TestDeniesAndLinksReplicate writes links, an unlink and a deny on one
// replica: another replica, with a directory, answers alike, and so does
// its copy reopened alone.
func TestDeniesAndLinksReplicate(t *testing.T) {
	node := startNode(t)
	const stream = "denies"
	a := openReplica(t, connect(t, node.url()), stream)
	dir := t.TempDir()
	b := openReplica(t, connect(t, node.url()), stream, engine.WithPath(dir))
	ctx := t.Context()
	folder := model.EntityRef{Type: "folder", ID: "f1"}
	doc, gone := model.EntityRef{Type: "doc", ID: "d1"}, model.EntityRef{Type: "doc", ID: "d2"}
	require.NoError(t, a.LinkEntities(ctx, org, model.EntityLink{Child: doc, Parent: folder}, model.EntityLink{Child: gone, Parent: folder}))
	require.NoError(t, a.UnlinkEntities(ctx, org, model.EntityLink{Child: gone, Parent: folder}))
	_, err := a.CreateGrant(ctx, org, model.GrantInput{Entity: folder, Grantee: model.User("alice"), Level: model.LevelAdmin})
	require.NoError(t, err)
	_, err = a.CreateGrant(ctx, org, model.GrantInput{Entity: doc, Grantee: model.User("alice"), Level: model.LevelWrite, Effect: model.EffectDeny})
	require.NoError(t, err)
	converge(t, a, b)
	require.NoError(t, b.Close())
	alone, err := engine.Open(engine.WithPath(dir), engine.WithSweepInterval(0))
	require.NoError(t, err)
	t.Cleanup(func() { _ = alone.Close() })

	for name, e := range map[string]*engine.Engine{"writer": a, "the copy alone": alone} {
		dec, err := e.Resolve(ctx, org, "alice", doc)
		require.NoError(t, err)
		assert.Equal(t, model.LevelRead, dec.Level, "%s: admin on the folder, capped below the deny at write", name)
		require.Len(t, dec.Denied, 1, name)
		ok, err := e.Check(ctx, org, "alice", gone, model.LevelRead)
		require.NoError(t, err)
		assert.False(t, ok, "%s: the unlinked document is out of the folder", name)
	}
	assert.Equal(t, a.Revision(), alone.Revision())
}
