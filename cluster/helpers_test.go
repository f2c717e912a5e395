package cluster_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/cluster"
	"github.com/grantdb/grantdb/engine"
)

// wait bounds every wait of these tests: long enough for a loaded machine,
// short enough that a hang fails the test rather than the run.
const wait = 30 * time.Second

// natsNode is one in-process nats-server with JetStream on, in a
// directory that outlives it, so that a restart finds its streams.
type natsNode struct {
	t    testing.TB
	opts server.Options
	srv  *server.Server
}

// startNode starts a lone server on a free port, with JetStream storing in
// a directory of the test's; tune, if any, changes its options first.
func startNode(t testing.TB, tune ...func(*server.Options)) *natsNode {
	t.Helper()
	n := &natsNode{t: t, opts: server.Options{
		Host: "127.0.0.1", Port: -1,
		JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	}}
	for _, f := range tune {
		f(&n.opts)
	}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *natsNode) start() {
	n.t.Helper()
	opts := n.opts
	srv, err := server.NewServer(&opts)
	require.NoError(n.t, err)
	go srv.Start()
	require.True(n.t, srv.ReadyForConnections(wait), "nats-server did not start")
	n.srv = srv
	// A restart takes the same port, so that clients reconnect to it.
	n.opts.Port = srv.Addr().(*net.TCPAddr).Port
}

func (n *natsNode) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

func (n *natsNode) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.opts.Port) }

// startCluster starts a 3-node JetStream cluster, each node routing to
// every other; tune, if any, changes each node's options first. The nodes
// start at once: a clustered node is ready only once it has found its
// peers.
func startCluster(t testing.TB, tune ...func(*server.Options)) []*natsNode {
	t.Helper()
	var routes []*url.URL
	ports := make([]int, 3)
	for i := range ports {
		ports[i] = freePort(t)
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", ports[i])})
	}
	nodes := make([]*natsNode, 3)
	for i := range nodes {
		nodes[i] = &natsNode{t: t, opts: server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "grantdb", Host: "127.0.0.1", Port: ports[i]},
			Routes:  routes,
		}}
		for _, f := range tune {
			f(&nodes[i].opts)
		}
		t.Cleanup(nodes[i].stop)
	}
	for _, n := range nodes {
		opts := n.opts
		srv, err := server.NewServer(&opts)
		require.NoError(t, err)
		go srv.Start()
		n.srv = srv
	}
	for _, n := range nodes {
		require.True(t, n.srv.ReadyForConnections(wait), "nats-server %s did not start", n.opts.ServerName)
		n.opts.Port = n.srv.Addr().(*net.TCPAddr).Port
	}
	return nodes
}

// freePort returns a TCP port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// connect opens a client to the given servers that keeps reconnecting.
func connect(t testing.TB, urls ...string) jetstream.JetStream {
	t.Helper()
	_, js := connectConn(t, urls...)
	return js
}

// replicatedStream creates stream with the given replication factor once the
// cluster has elected its JetStream leader.
func replicatedStream(t testing.TB, js jetstream.JetStream, stream string, replicas int) {
	t.Helper()
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{
			Name: stream, Subjects: []string{"grantdb." + stream},
			Storage: jetstream.FileStorage, Replicas: replicas,
		})
		return err == nil
	}, wait, 100*time.Millisecond, "the cluster did not take the stream")
}

// openReplica opens an engine that is a replica on stream.
func openReplica(t testing.TB, js jetstream.JetStream, stream string, opts ...engine.Option) *engine.Engine {
	t.Helper()
	log, err := cluster.NATS(js, stream)
	require.NoError(t, err)
	e, err := engine.Open(append([]engine.Option{engine.WithLog(log), engine.WithSweepInterval(0)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// converge waits until every engine has published the highest revision
// among them, and returns it.
func converge(t testing.TB, engines ...*engine.Engine) uint64 {
	t.Helper()
	var top uint64
	for _, e := range engines {
		top = max(top, e.Revision())
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, e := range engines {
		require.NoError(t, e.WaitRevision(ctx, top))
	}
	return top
}
