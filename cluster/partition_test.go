package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/cluster"
	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// partition is a TCP proxy between a client and a nats-server that a test
// can cut in two ways: hold (bytes stop in both directions and wait, as
// TCP keeps them across a network partition, to flow again on heal) and
// reset (every connection closed, new ones refused until heal).
type partition struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu     sync.Mutex
	open   chan struct{} // closed while bytes may flow
	reset  bool
	conns  map[net.Conn]bool
	closed bool
}

func newPartition(t testing.TB, target string) *partition {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &partition{t: t, ln: ln, target: target, open: make(chan struct{}), conns: map[net.Conn]bool{}}
	close(p.open)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *partition) url() string { return "nats://" + p.ln.Addr().String() }

func (p *partition) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.reset || p.closed {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

// pipe copies from src to dst, a chunk at a time, each waiting while the
// partition holds.
func (p *partition) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			open := p.open
			p.mu.Unlock()
			<-open
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF, or the connection closed by cut
		}
	}
}

// hold stops every byte in both directions until heal.
func (p *partition) hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = make(chan struct{})
}

// cut closes every connection and refuses new ones until heal.
func (p *partition) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reset = true
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *partition) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reset = false
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

func (p *partition) close() {
	p.heal()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	_ = p.ln.Close()
}

// TestPartitionedReplicaAcknowledgesOnlyWhatTheLogHolds cuts one replica
// off NATS (NATS and the other replica carry on; TestNATSDownAndBack is the
// case of NATS itself down) in both ways a partition shows: bytes held in
// flight, and connections reset. While cut off, its writes fail with
// ErrNotReplicated, bounded by the log's timeout (the calls have no
// deadline of their own), and its reads go on at its last revision, while
// the other replica keeps writing. Healed, it catches up, writes again, and
// every write it acknowledged is in the log.
func TestPartitionedReplicaAcknowledgesOnlyWhatTheLogHolds(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(*partition)
	}{
		{"held", (*partition).hold},
		{"reset", (*partition).cut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := startNode(t)
			proxy := newPartition(t, node.srv.Addr().String())
			stream := "part_" + tc.name
			log, err := cluster.New(connect(t, proxy.url()), cluster.Config{Stream: stream, Timeout: time.Second})
			require.NoError(t, err)
			p, err := engine.Open(engine.WithLog(log), engine.WithSweepInterval(0),
				engine.WithLogger(slog.New(slog.DiscardHandler)))
			require.NoError(t, err)
			t.Cleanup(func() { _ = p.Close() })
			h := openReplica(t, connect(t, node.url()), stream)

			ctx := context.Background()
			acked := map[string]model.Grant{} // what p acknowledged
			write := func(e *engine.Engine, entity string) (model.Grant, error) {
				done := make(chan struct{})
				var g model.Grant
				var err error
				go func() {
					defer close(done)
					g, err = e.CreateGrant(ctx, org, model.GrantInput{
						Entity: model.EntityRef{Type: "doc", ID: entity}, Grantee: model.User("alice"), Level: model.LevelRead,
					})
				}()
				select {
				case <-done:
				case <-time.After(wait):
					return model.Grant{}, fmt.Errorf("the write on %s did not return in %s", entity, wait)
				}
				return g, err
			}
			for i := range 3 {
				g, err := write(p, fmt.Sprintf("before-%d", i))
				require.NoError(t, err)
				acked[g.ID] = g
			}
			rev := p.Revision()

			tc.cut(proxy)
			// The other replica writes on while p is cut off (paced: p
			// reads all of it when it heals).
			stop := make(chan struct{})
			var hw sync.WaitGroup
			hw.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					_, err := write(h, fmt.Sprintf("healthy-%d", i))
					assert.NoError(t, err)
					time.Sleep(10 * time.Millisecond)
				}
			})
			for i := range 3 {
				g, err := write(p, fmt.Sprintf("cut-%d", i))
				if err == nil {
					acked[g.ID] = g // never, as long as the cut holds: checked below
				}
				require.ErrorIs(t, err, engine.ErrNotReplicated, "write %d while cut off", i)
			}
			assert.Equal(t, rev, p.Revision(), "reads stay at the last revision")
			for id, want := range acked {
				got, err := p.GetGrant(ctx, org, id)
				require.NoError(t, err, "reads go on while cut off")
				assert.Equal(t, want, got)
			}
			ok, err := p.Check(ctx, org, "alice", model.EntityRef{Type: "doc", ID: "before-0"}, model.LevelRead)
			require.NoError(t, err)
			assert.True(t, ok)
			close(stop)
			hw.Wait()

			proxy.heal()
			require.Eventually(t, func() bool {
				g, err := write(p, "after")
				if err == nil {
					acked[g.ID] = g
				}
				return err == nil || errors.Is(err, model.ErrDuplicate)
			}, wait, 50*time.Millisecond, "p did not write again after the heal")
			converge(t, p, h)

			// Every acknowledged write is in the log, as every replica
			// holds it; a write that failed may be there too (its answer
			// was lost, not its request), and then on both replicas alike.
			inLog := map[string]bool{}
			for _, cs := range streamCommits(t, connect(t, node.url()), stream) {
				for _, gc := range cs.Grants {
					inLog[gc.Grant.ID] = true
				}
			}
			for id := range acked {
				assert.True(t, inLog[id], "acknowledged grant %s is in the log", id)
			}
			assert.Equal(t, allGrants(t, h), allGrants(t, p))
		})
	}
}
