package engine

import (
	"time"
)

// Option configures an Engine at Open.
type Option func(*config)

type config struct {
	entityTypes   []string
	now           func() time.Time
	sweepInterval time.Duration
	persist       persistConfig // persist.go
	// changeRetention is WithChangeRetention's n (changes.go).
	changeRetention int
	// log is WithLog's shared log (log.go); nil for a standalone engine.
	log Log
	// lease is WithLease's lease (lease.go); nil: none.
	lease Lease
}

func defaultConfig() config {
	return config{now: time.Now, sweepInterval: DefaultSweepInterval, persist: defaultPersistConfig()}
}

// WithEntityTypes restricts grants to the given entity types (for example
// "knowledge_slice", "vector_store", "assistant"). Default: any type matching
// ^[a-z][a-z0-9_]{0,63}$.
func WithEntityTypes(types ...string) Option {
	return func(c *config) { c.entityTypes = append([]string(nil), types...) }
}

// WithClock sets the clock used for grant windows, timestamps and ids.
// Default: time.Now. A nil clock is ignored.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// DefaultSweepInterval is how often the expiry sweeper runs unless
// WithSweepInterval says otherwise.
const DefaultSweepInterval = time.Minute

// WithSweepInterval sets how often the expiry sweeper removes grants whose
// window has ended. Sweeping is compaction only: an ended grant behaves as
// revoked in every call whether or not it has been swept, so the interval
// trades memory for background work, never correctness. Default: 1m0s
// (DefaultSweepInterval). Zero or a negative interval turns sweeping off.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) { c.sweepInterval = d }
}
