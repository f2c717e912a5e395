package engine

import (
	"time"
)

// Option configures an Engine at Open.
type Option func(*config)

type config struct {
	entityTypes []string
	now         func() time.Time
}

func defaultConfig() config {
	return config{now: time.Now}
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
