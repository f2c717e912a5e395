//go:build unix

package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// The crash test: a child process (this test binary, run again as
// TestCrashChild) writes to a durable engine as fast as it can and prints
// every write it was acknowledged; the parent kills it with SIGKILL at a
// random moment, opens the directory, and checks that every acknowledged
// write is there, every batch whole or absent, and every job finishes. The
// next round's child goes on in the same directory, so later rounds also
// load what earlier kills left. A checkpoint every few commits makes many
// kills land during a checkpoint.

const (
	crashDirEnv   = "GRANTDB_CRASH_CHILD_DIR"
	crashRoundEnv = "GRANTDB_CRASH_CHILD_ROUND"
	crashSyncEnv  = "GRANTDB_CRASH_CHILD_SYNC"
	crashBatch    = 200 // grants per all-or-nothing batch
	crashJobSteps = 4   // resources per job
	crashOrg      = "org_crash"
)

// crashLine is what the child prints: "TRY kind name" before a write and
// "ACK kind name [detail]" once it is acknowledged.
func crashLine(w io.Writer, verb, kind, name, detail string) {
	// One write(2) of a short line to a pipe is atomic: a kill never leaves
	// half a line.
	fmt.Fprintf(w, "%s %s %s %s\n", verb, kind, name, detail)
}

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run as a child process by TestCrashRecovery, which sets " + crashDirEnv)
	}
	round := os.Getenv(crashRoundEnv)
	// Whatever the sync policy, a kill of the process loses nothing
	// acknowledged: the commit is in the file before the call returns.
	policy := engine.SyncAlways
	if os.Getenv(crashSyncEnv) == "never" {
		policy = engine.SyncNever
	}
	e, err := engine.Open(engine.WithPath(dir), engine.WithSync(policy),
		engine.WithCheckpointEvery(25, 256<<10), engine.WithSweepInterval(0))
	if err != nil {
		fmt.Printf("OPENFAIL %v\n", err)
		os.Exit(3)
	}
	out := os.Stdout
	fmt.Fprintln(out, "READY")
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second) // the parent kills it long before
	for i := 0; time.Now().Before(deadline); i++ {
		name := fmt.Sprintf("r%s-%d", round, i)
		switch {
		case i%7 == 3:
			items := make([]model.GrantInput, crashBatch)
			for k := range items {
				items[k] = model.GrantInput{Entity: doc("b-" + name), Grantee: model.User(fmt.Sprintf("u%03d", k)), Level: model.LevelRead}
			}
			crashLine(out, "TRY", "batch", name, "")
			res, err := e.BulkCreate(ctx, crashOrg, items, bulk.Options{Mode: bulk.AllOrNothing})
			if err != nil || !res.Committed {
				fmt.Fprintf(out, "FAIL batch %s %v\n", name, err)
				os.Exit(4)
			}
			crashLine(out, "ACK", "batch", name, "")
		case i%23 == 11:
			res := make([]model.EntityRef, crashJobSteps)
			for k := range res {
				res[k] = doc(fmt.Sprintf("j-%s-%d", name, k))
			}
			crashLine(out, "TRY", "job", name, "")
			sum, err := e.SubmitJob(ctx, crashOrg, bulk.JobSpec{Name: name, Operation: bulk.OpReplaceAll, Resources: res,
				ACL: []bulk.ACE{{Grantee: model.User("bob"), Level: model.LevelAdmin}}})
			if err != nil {
				fmt.Fprintf(out, "FAIL job %s %v\n", name, err)
				os.Exit(4)
			}
			crashLine(out, "ACK", "job", name, sum.ID)
		default:
			crashLine(out, "TRY", "grant", name, "")
			g, err := e.CreateGrant(ctx, crashOrg, model.GrantInput{Entity: doc("g-" + name), Grantee: model.User("alice"), Level: model.LevelWrite})
			if err != nil {
				fmt.Fprintf(out, "FAIL grant %s %v\n", name, err)
				os.Exit(4)
			}
			crashLine(out, "ACK", "grant", name, g.ID)
		}
	}
	_ = e.Close()
}

// crashLog is what one child printed.
type crashLog struct {
	tried map[string]bool   // kind/name of every write begun
	acked map[string]string // kind/name -> detail of every write acknowledged
	ready bool
	other []string
}

func parseCrashLog(b []byte) crashLog {
	l := crashLog{tried: map[string]bool{}, acked: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "READY":
			l.ready = true
		case len(f) >= 3 && f[0] == "TRY":
			l.tried[f[1]+"/"+f[2]] = true
		case len(f) >= 3 && f[0] == "ACK":
			l.acked[f[1]+"/"+f[2]] = strings.Join(f[3:], " ")
		case len(f) > 0 && (f[0] == "FAIL" || f[0] == "OPENFAIL"):
			l.other = append(l.other, sc.Text())
		}
	}
	return l
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("this is the child process")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	seed := testCrashSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed>>7))
	rounds := 10
	if testing.Short() {
		rounds = 4
	}
	tried := map[string]bool{}
	acked := map[string]string{}
	var warnings syncBuffer
	for round := range rounds {
		out := &syncBuffer{}
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1", "-test.v=false")
		policy := "always"
		if round%2 == 1 {
			policy = "never"
		}
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round), crashSyncEnv+"="+policy)
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		// Kill it between 30 ms and 700 ms after it is ready to write.
		ready := time.Now().Add(time.Minute)
		for !parseCrashLog(out.Bytes()).ready && time.Now().Before(ready) {
			if l := parseCrashLog(out.Bytes()); len(l.other) > 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(30+rng.IntN(670)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		l := parseCrashLog(out.Bytes())
		require.True(t, l.ready, "round %d: the child did not start:\n%s", round, out.Bytes())
		require.Empty(t, l.other, "round %d: the child failed:\n%s", round, out.Bytes())
		require.NotContains(t, string(out.Bytes()), "DATA RACE", "round %d: the race detector spoke in the child", round)
		for k := range l.tried {
			tried[k] = true
		}
		for k, v := range l.acked {
			acked[k] = v
		}
		temps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
		before := bytes.Count(warnings.Bytes(), []byte("\n"))
		checkCrashState(t, dir, tried, acked, &warnings)
		t.Logf("round %d (sync %s): %d writes acknowledged, %d in flight, checkpoint cut off: %v, tails cut off at open: %d",
			round, policy, len(l.acked), len(l.tried)-len(l.acked), len(temps) > 0, bytes.Count(warnings.Bytes(), []byte("\n"))-before)
		if t.Failed() {
			t.Fatalf("round %d: child output:\n%s\nwarnings:\n%s", round, out.Bytes(), warnings.Bytes())
		}
	}
}

// checkCrashState opens dir and checks it against what the children said:
// every acknowledged write there, nothing that was never tried, batches
// whole or absent, jobs finished.
func checkCrashState(t *testing.T, dir string, tried map[string]bool, acked map[string]string, warnings io.Writer) {
	t.Helper()
	ctx := context.Background()
	e, err := engine.Open(engine.WithPath(dir), engine.WithSweepInterval(0),
		engine.WithLogger(slog.New(slog.NewTextHandler(warnings, nil))))
	require.NoError(t, err)
	defer func() { require.NoError(t, e.Close()) }()

	// Every acknowledged job finishes (resumed by Open if it was cut off),
	// each of its resources ending with exactly its ACL.
	for k, id := range acked {
		if !strings.HasPrefix(k, "job/") {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		sum, err := e.WaitJob(wctx, crashOrg, id)
		cancel()
		require.NoError(t, err, k)
		assert.Equal(t, bulk.JobSucceeded, sum.Status, k)
		assert.Equal(t, crashJobSteps, sum.StepsSucceeded, k)
		assert.Equal(t, crashJobSteps, sum.TotalSteps, k)
	}

	// Group what is stored by the write that made it.
	byWrite := map[string][]model.Grant{}
	for _, g := range listAll(t, e, crashOrg, model.GrantQuery{}) {
		kind, name, ok := strings.Cut(g.Entity.ID, "-")
		require.True(t, ok, g.Entity.ID)
		switch kind {
		case "g":
			byWrite["grant/"+name] = append(byWrite["grant/"+name], g)
		case "b":
			byWrite["batch/"+name] = append(byWrite["batch/"+name], g)
		case "j":
			name = name[:strings.LastIndexByte(name, '-')]
			byWrite["job/"+name] = append(byWrite["job/"+name], g)
		default:
			t.Fatalf("unexpected grant %+v", g)
		}
	}
	for k, gs := range byWrite {
		require.True(t, tried[k], "%s is stored but was never tried", k)
		switch {
		case strings.HasPrefix(k, "grant/"):
			require.Len(t, gs, 1, k)
			if id, ok := acked[k]; ok {
				assert.Equal(t, id, gs[0].ID, k)
			}
		case strings.HasPrefix(k, "batch/"):
			assert.Len(t, gs, crashBatch, "%s is whole", k)
		case strings.HasPrefix(k, "job/"):
			if _, ok := acked[k]; ok {
				assert.Len(t, gs, crashJobSteps, k)
			}
			for _, g := range gs {
				assert.Equal(t, model.User("bob"), g.Grantee, k)
				assert.Equal(t, model.LevelAdmin, g.Level, k)
			}
		}
	}
	for k := range acked {
		if !strings.HasPrefix(k, "job/") {
			assert.Contains(t, byWrite, k, "acknowledged, so it must be there")
		}
	}
}
