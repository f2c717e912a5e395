package main

import (
	"context"
	"fmt"

	"github.com/grantdb/grantdb/bulk"
	"github.com/grantdb/grantdb/engine"
)

// writeLinks links b's entities in its organisation (engine.LinkEntities), in
// commits of batchSize, or in one under AllOrNothing. Links already stored are
// no-ops in every mode. import calls it for every organisation before it
// writes any membership or grant, so a link refused by the engine (one that
// would close a cycle with stored links) leaves the memberships and grants of
// the file unwritten.
func writeLinks(ctx context.Context, e *engine.Engine, b *orgBatch, mode bulk.Mode, progress func(int)) error {
	size := batchSize
	if mode == bulk.AllOrNothing {
		size = len(b.links)
	}
	for i := 0; i < len(b.links); i += size {
		chunk := b.links[i:min(i+size, len(b.links))]
		if err := e.LinkEntities(ctx, b.org, chunk...); err != nil {
			return fmt.Errorf("organisation %s: links: %w", b.org, err)
		}
		progress(i + len(chunk))
	}
	return nil
}
