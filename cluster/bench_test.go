package cluster_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/grantdb/grantdb/model"
)

// BenchmarkCreateGrantOneNode measures a CreateGrant through the log on one
// in-process nats-server (file storage, one replica): fill, append, apply.
func BenchmarkCreateGrantOneNode(b *testing.B) {
	node := startNode(b)
	e := openReplica(b, connect(b, node.url()), "bench")
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		_, err := e.CreateGrant(ctx, org, model.GrantInput{
			Entity: model.EntityRef{Type: "doc", ID: fmt.Sprintf("d%d", i)}, Grantee: model.User("alice"), Level: model.LevelRead,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateGrantCluster is the same through a 3-node cluster with
// stream replicas 3: the append waits for the quorum.
func BenchmarkCreateGrantCluster(b *testing.B) {
	nodes := startCluster(b)
	urls := []string{nodes[0].url(), nodes[1].url(), nodes[2].url()}
	replicatedStream(b, connect(b, urls...), "bench", 3)
	e := openReplica(b, connect(b, urls...), "bench")
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		_, err := e.CreateGrant(ctx, org, model.GrantInput{
			Entity: model.EntityRef{Type: "doc", ID: fmt.Sprintf("d%d", i)}, Grantee: model.User("alice"), Level: model.LevelRead,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
