//go:build linux

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// A real write failure, not an injected one: a child process limits the
// size of the files it may write (RLIMIT_FSIZE, so the kernel fails the
// journal's write with EFBIG, as on a full disk) and writes until the
// engine refuses.

const diskFullDirEnv = "GRANTDB_DISKFULL_CHILD_DIR"

func TestPersistDiskFullChild(t *testing.T) {
	dir := os.Getenv(diskFullDirEnv)
	if dir == "" {
		t.Skip("run as a child process by TestPersistDiskFull, which sets " + diskFullDirEnv)
	}
	fail := func(format string, args ...any) {
		fmt.Printf("FAIL "+format+"\n", args...)
		os.Exit(4)
	}
	e, err := engine.Open(engine.WithPath(dir), engine.WithCheckpointEvery(0, 0), engine.WithSweepInterval(0))
	if err != nil {
		fail("open: %v", err)
	}
	// Past the limit a write gets EFBIG instead of the signal that would
	// kill the process.
	signal.Ignore(syscall.SIGXFSZ)
	const limit = 16 << 10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		fail("setrlimit: %v", err)
	}
	ctx := context.Background()
	var last model.Grant
	for i := 0; ; i++ {
		rev := engine.PublishedRevision(e)
		g, err := e.CreateGrant(ctx, testOrg, grantInput(fmt.Sprintf("d%05d", i), "alice"))
		if err == nil {
			fmt.Printf("ACK %s\n", g.ID)
			last = g
			continue
		}
		if i == 0 || !errors.Is(err, engine.ErrWriteFailed) || !errors.Is(err, syscall.EFBIG) {
			fail("write %d: want ErrWriteFailed wrapping EFBIG, got %v", i, err)
		}
		if got := engine.PublishedRevision(e); got != rev {
			fail("published revision %d after the failed write, want %d", got, rev)
		}
		break
	}
	// Refused from now on, even a write much smaller than the failed one.
	if err := e.RevokeGrant(ctx, testOrg, last.ID); !errors.Is(err, engine.ErrWriteFailed) {
		fail("write after the failure: %v", err)
	}
	// Reads go on, on the last acknowledged revision.
	if _, err := e.GetGrant(ctx, testOrg, last.ID); err != nil {
		fail("read after the failure: %v", err)
	}
	if err := e.Close(); !errors.Is(err, engine.ErrWriteFailed) {
		fail("close: want the write failure, got %v", err)
	}
	fmt.Println("DONE")
}

func TestPersistDiskFull(t *testing.T) {
	if os.Getenv(diskFullDirEnv) != "" {
		t.Skip("this is the child process")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	cmd := exec.Command(exe, "-test.run=^TestPersistDiskFullChild$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), diskFullDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	text := string(out)
	require.Contains(t, text, "DONE", text)
	var acked []string
	for _, line := range strings.Split(text, "\n") {
		if id, ok := strings.CutPrefix(line, "ACK "); ok {
			acked = append(acked, id)
		}
	}
	require.Greater(t, len(acked), 10)

	// The reopened database has every acknowledged write (and the failed
	// one, or not: here the write was refused by the kernel, so not), and
	// takes writes again.
	e := openDurable(t, dir, newFakeClock(t0))
	got := grantIDs(listAll(t, e, testOrg, model.GrantQuery{}))
	assert.Equal(t, acked, got)
	assert.Equal(t, uint64(len(acked)), engine.PublishedRevision(e))
	mustCreate(t, e, testOrg, grantInput("after", "alice"))
}
