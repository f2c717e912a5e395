package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// testOrg is the organisation most tests work in; otherOrg checks isolation.
const (
	testOrg  = "org_test"
	otherOrg = "org_other"
)

// t0 is the fake clock's starting time: not UTC, so that tests see the engine
// convert it.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.FixedZone("CET", 3600))

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestEngine opens an in-memory engine on a fake clock starting at t0,
// closed when the test ends. Extra options come after the clock, so a test
// may replace it.
func newTestEngine(t testing.TB, opts ...engine.Option) (*engine.Engine, *fakeClock) {
	t.Helper()
	clock := newFakeClock(t0)
	e, err := engine.Open(append([]engine.Option{engine.WithClock(clock.Now)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := e.Close(); err != nil && !errors.Is(err, model.ErrClosed) {
			t.Errorf("close: %v", err)
		}
	})
	return e, clock
}

// doc and folder build entity references.
func doc(id string) model.EntityRef    { return model.EntityRef{Type: "document", ID: id} }
func folder(id string) model.EntityRef { return model.EntityRef{Type: "folder", ID: id} }

// grantInput is a valid input: read access of a user to a document.
func grantInput(entity, user string) model.GrantInput {
	return model.GrantInput{Entity: doc(entity), Grantee: model.User(user), Level: model.LevelRead, GrantedBy: "usr_admin"}
}

// mustCreate creates a grant that the test needs.
func mustCreate(t testing.TB, e *engine.Engine, org string, in model.GrantInput) model.Grant {
	t.Helper()
	g, err := e.CreateGrant(context.Background(), org, in)
	require.NoError(t, err)
	return g
}

// listAll walks every page of q and returns the grants in order.
func listAll(t testing.TB, e *engine.Engine, org string, q model.GrantQuery) []model.Grant {
	t.Helper()
	var all []model.Grant
	for range 100000 {
		page, err := e.ListGrants(context.Background(), org, q)
		require.NoError(t, err)
		all = append(all, page.Grants...)
		if page.NextCursor == "" {
			return all
		}
		q.Cursor = page.NextCursor
	}
	t.Fatal("listing did not end")
	return nil
}

// grantIDs returns the ids of gs, in order.
func grantIDs(gs []model.Grant) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return ids
}

// requireModelError asserts err is a *model.Error matching sentinel and
// naming field.
func requireModelError(t testing.TB, err error, sentinel error, field string) *model.Error {
	t.Helper()
	require.Error(t, err)
	var me *model.Error
	require.ErrorAs(t, err, &me, "want a *model.Error, got %T: %v", err, err)
	assert.ErrorIs(t, err, sentinel)
	assert.Equal(t, field, me.Field, "field of %v", err)
	return me
}

func TestOpenWithNilOptionAndNilClock(t *testing.T) {
	e, err := engine.Open(nil, engine.WithClock(nil))
	require.NoError(t, err)
	defer e.Close()
	before := time.Now()
	g, err := e.CreateGrant(context.Background(), testOrg, grantInput("d1", "alice"))
	require.NoError(t, err)
	after := time.Now()
	// A nil clock is ignored: the engine uses the wall clock.
	assert.False(t, g.CreatedAt.Before(before.Round(0)), "created %v, before %v", g.CreatedAt, before)
	assert.False(t, g.CreatedAt.After(after.Round(0)), "created %v, after %v", g.CreatedAt, after)
}

func TestOpenRejectsMalformedEntityType(t *testing.T) {
	_, err := engine.Open(engine.WithEntityTypes("document", "Bad Type"))
	requireModelError(t, err, model.ErrValidation, model.FieldEntityType)
}

func TestCloseTwice(t *testing.T) {
	e, _ := newTestEngine(t)
	require.NoError(t, e.Close())
	err := e.Close()
	requireModelError(t, err, model.ErrClosed, "")
}

func TestClosedEngineRefusesEveryCall(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	g := mustCreate(t, e, testOrg, grantInput("d1", "alice"))
	member := model.Membership{Member: model.User("alice"), Group: model.Department("eng")}
	require.NoError(t, e.AddMembers(ctx, testOrg, member))
	require.NoError(t, e.Close())

	calls := map[string]func() error{
		"CreateGrant": func() error { _, err := e.CreateGrant(ctx, testOrg, grantInput("d2", "bob")); return err },
		"GetGrant":    func() error { _, err := e.GetGrant(ctx, testOrg, g.ID); return err },
		"UpdateGrant": func() error { _, err := e.UpdateGrant(ctx, testOrg, g.ID, model.LevelAdmin); return err },
		"RevokeGrant": func() error { return e.RevokeGrant(ctx, testOrg, g.ID) },
		"ListGrants":  func() error { _, err := e.ListGrants(ctx, testOrg, model.GrantQuery{}); return err },
		"AddMembers":  func() error { return e.AddMembers(ctx, testOrg, member) },
		"RemoveMembers": func() error {
			return e.RemoveMembers(ctx, testOrg, member)
		},
		"Check": func() error { _, err := e.Check(ctx, testOrg, "alice", doc("d1"), model.LevelRead); return err },
		// Even bad input is refused as closed: the engine is gone.
		"CreateGrant bad input": func() error { _, err := e.CreateGrant(ctx, "", model.GrantInput{}); return err },
		"Close":                 e.Close,
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			requireModelError(t, call(), model.ErrClosed, "")
		})
	}
}

func TestCancelledContext(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.CreateGrant(ctx, testOrg, grantInput("d1", "alice"))
	assert.ErrorIs(t, err, context.Canceled)
	err = e.AddMembers(ctx, testOrg, model.Membership{Member: model.User("alice"), Group: model.Role("r")})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, listAll(t, e, testOrg, model.GrantQuery{}))
}
