package gen_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/grantdb/grantdb/bench/gen"
)

// flatSmallDigest is the digest of the small organisation of seed 1 and its
// first 1,000 queries as the generator made them before it knew folders and
// denies (commit 0f17424): Flat must keep giving exactly that organisation,
// so that measurements of the old model stay comparable across versions.
const flatSmallDigest = "735b1a4207a37acb696c190bea9f80c17a2f79be6bf584b4b9c47422ef28ca46"

func TestFlatIsTheModelBeforeFoldersAndDenies(t *testing.T) {
	cfg := gen.Small.Config()
	cfg.Seed = 1
	o := gen.New(cfg.Flat())
	h := sha256.New()
	fmt.Fprint(h, o.Users, o.Departments, o.Roles, o.Entities, o.Memberships, o.Grants)
	for _, q := range o.Queries(1000) {
		fmt.Fprint(h, q.User, q.Entity, q.Level, q.Allowed, q.Hot)
	}
	user, reach := o.UserWithReach(50)
	entity, audience := o.EntityWithAudience(100)
	fmt.Fprint(h, user, reach, entity, audience)
	assert.Equal(t, flatSmallDigest, hex.EncodeToString(h.Sum(nil)))
}
