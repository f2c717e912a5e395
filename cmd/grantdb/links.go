package main

import (
	"context"
	"errors"

	"github.com/grantdb/grantdb/engine"
)

// errLinksUnsupported refuses link records: entity links (issue 12's
// model.EntityLink and engine.LinkEntities) are not in the engine yet.
var errLinksUnsupported = errors.New(`links are not supported by this engine yet: remove the records of kind "link", or import them once the engine links entities`)

// writeLinks links b's entities in its organisation. import calls it for
// every organisation before it writes any membership or grant, so while it
// refuses, a file with links is refused whole. Once the engine links
// entities, its body becomes e.LinkEntities(ctx, b.org, b.links...) (with
// entityLink becoming model.EntityLink).
func writeLinks(ctx context.Context, e *engine.Engine, b *orgBatch) error {
	if len(b.links) == 0 {
		return nil
	}
	return atLine(b.linkLines[0], errLinksUnsupported)
}
