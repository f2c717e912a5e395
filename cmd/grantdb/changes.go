package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// The change feed from a directory: changes prints an organisation's
// commits after a revision, watch follows them until interrupted. The feed
// is what the opened engine holds (engine.Changes, engine.Watch).

func newChangesCommand() *cobra.Command {
	var q queryFlags
	var after uint64
	cmd := &cobra.Command{
		Use:   "changes --data DIR [--org ORG] [--after N] [--json]",
		Short: "Print an organisation's commits after revision N: a table, or JSON Lines with --json",
		Long: `changes prints the organisation's change feed after --after (default 0),
oldest first: one row per grant, membership or link a commit wrote or deleted,
or with --json one model.Change per line. Revisions skip other organisations'
commits and job bookkeeping. When the feed no longer holds the commits after
--after (they left the retained window, or came before the directory was
opened by this command), it says so and exits 2.`,
		Args: cobra.NoArgs,
	}
	q.register(cmd)
	cmd.Flags().Uint64Var(&after, "after", 0, "print the commits after this revision")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return q.ask(cmd.Context(), func(e *engine.Engine, org string) error {
			p := newChangePrinter(cmd.OutOrStdout(), q.json)
			for {
				page, err := e.Changes(cmd.Context(), org, after, model.MaxPageSize)
				if err != nil {
					return feedError(err, e, org, after)
				}
				for i := range page {
					if err := p.print(&page[i]); err != nil {
						return err
					}
				}
				if err := p.flush(); err != nil {
					return err
				}
				if len(page) < model.MaxPageSize {
					return nil
				}
				after = page[len(page)-1].Revision
			}
		})
	}
	return cmd
}

func newWatchCommand() *cobra.Command {
	var q queryFlags
	var after uint64
	cmd := &cobra.Command{
		Use:   "watch --data DIR [--org ORG] [--after N] [--json]",
		Short: "Follow an organisation's commits as they are published, until interrupted (Ctrl-C)",
		Long: `watch prints the organisation's change feed as changes does, then each new
commit as the opened engine publishes it, until SIGINT (Ctrl-C) or SIGTERM;
then it exits 0. Without --after it starts at the directory's revision.`,
		Args: cobra.NoArgs,
	}
	q.register(cmd)
	cmd.Flags().Uint64Var(&after, "after", 0, "start after this revision (default: the revision the directory opened at)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return q.ask(ctx, func(e *engine.Engine, org string) error {
			if !cmd.Flags().Changed("after") {
				after = e.Revision()
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "watching %s after revision %d (Ctrl-C stops)\n", org, after)
			p := newChangePrinter(cmd.OutOrStdout(), q.json)
			for ch, err := range e.Watch(ctx, org, after) {
				switch {
				case ctx.Err() != nil:
					return nil // interrupted
				case err != nil:
					return feedError(err, e, org, after)
				}
				if err := p.print(&ch); err != nil {
					return err
				}
				if err := p.flush(); err != nil {
					return err
				}
				after = ch.Revision
			}
			return nil
		})
	}
	return cmd
}

// feedError says what to do about a compacted read.
func feedError(err error, e *engine.Engine, org string, after uint64) error {
	if errors.Is(err, model.ErrCompacted) {
		return fmt.Errorf("the feed of %s after revision %d is not held: the directory is at revision %d "+
			"and the feed holds only the last commits since it was opened; pass --after %d to start there (%w)",
			org, after, e.Revision(), e.Revision(), err)
	}
	return err
}

// changePrinter writes changes as a table (one row per item) or as JSON
// Lines (one change per line).
type changePrinter struct {
	json   bool
	w      io.Writer
	tw     *tabwriter.Writer
	header bool
}

func newChangePrinter(w io.Writer, jsonLines bool) *changePrinter {
	return &changePrinter{json: jsonLines, w: w, tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

func (p *changePrinter) print(ch *model.Change) error {
	if p.json {
		b, err := json.Marshal(ch)
		if err != nil {
			return err
		}
		_, err = p.w.Write(append(b, '\n'))
		return err
	}
	if !p.header {
		p.header = true
		fmt.Fprintln(p.tw, "REVISION\tAT\tOP\tKIND\tITEM")
	}
	row := func(op model.ChangeOp, kind, item string) {
		fmt.Fprintf(p.tw, "%d\t%s\t%s\t%s\t%s\n", ch.Revision, ch.At.UTC().Format("2006-01-02T15:04:05.000Z07:00"), op, kind, item)
	}
	for _, c := range ch.Grants {
		g := &c.Grant
		item := fmt.Sprintf("%s %s %s on %s", g.ID, g.Grantee, g.Level, g.Entity)
		if g.Effect != model.EffectAllow {
			item += " (" + g.Effect.String() + ")"
		}
		row(c.Op, "grant", item)
	}
	for _, c := range ch.Memberships {
		row(c.Op, "membership", fmt.Sprintf("%s in %s", c.Membership.Member, c.Membership.Group))
	}
	for _, c := range ch.Links {
		row(c.Op, "link", fmt.Sprintf("%s under %s", c.Link.Child, c.Link.Parent))
	}
	return nil
}

func (p *changePrinter) flush() error {
	if p.json {
		return nil
	}
	return p.tw.Flush()
}
