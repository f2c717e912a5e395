package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// queryFlags are the flags every question takes.
type queryFlags struct {
	dir  *string
	org  string
	json bool
}

func (q *queryFlags) register(cmd *cobra.Command) {
	q.dir = dataFlag(cmd)
	cmd.Flags().StringVar(&q.org, "org", "", "the organisation (default: the database's only one)")
	cmd.Flags().BoolVar(&q.json, "json", false, "write JSON for scripts instead of a table")
}

// ask opens the database, picks the organisation and runs fn.
func (q *queryFlags) ask(ctx context.Context, fn func(e *engine.Engine, org string) error) (err error) {
	e, err := openForRead(*q.dir)
	if err != nil {
		return err
	}
	defer closeInto(e, &err)
	org, err := pickOrg(ctx, e, q.org)
	if err != nil {
		return err
	}
	return fn(e, org)
}

// parseEntity reads TYPE:ID.
func parseEntity(s string) (model.EntityRef, error) {
	t, id, ok := strings.Cut(s, ":")
	if !ok || t == "" || id == "" {
		return model.EntityRef{}, fmt.Errorf("entity %q: want TYPE:ID", s)
	}
	return model.EntityRef{Type: t, ID: id}, nil
}

func newCheckCommand() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "check --data DIR USER TYPE:ID LEVEL",
		Short: "Say whether USER may act on an entity at LEVEL: exit 0 allowed, 1 denied, 2 on errors",
		Args:  cobra.ExactArgs(3),
	}
	q.register(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		entity, err := parseEntity(args[1])
		if err != nil {
			return err
		}
		level, err := model.ParseLevel(args[2])
		if err != nil {
			return err
		}
		var allowed bool
		err = q.ask(cmd.Context(), func(e *engine.Engine, org string) error {
			allowed, err = e.Check(cmd.Context(), org, args[0], entity, level)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if q.json {
				return writeJSON(out, map[string]any{
					"organization_id": org, "user_id": args[0], "entity": entity, "access_level": level, "allowed": allowed,
				})
			}
			word := "denied"
			if allowed {
				word = "allowed"
			}
			_, err := fmt.Fprintf(out, "%s: user %s, %s on %s\n", word, args[0], level, entity)
			return err
		})
		if err == nil && !allowed {
			return exitStatus{exitDenied}
		}
		return err
	}
	return cmd
}

func newExplainCommand() *cobra.Command {
	var q queryFlags
	cmd := &cobra.Command{
		Use:   "explain --data DIR USER TYPE:ID",
		Short: "Show USER's level on an entity, every path of grants, memberships and links that gives it, and the deny that won",
		Args:  cobra.ExactArgs(2),
	}
	q.register(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		entity, err := parseEntity(args[1])
		if err != nil {
			return err
		}
		return q.ask(cmd.Context(), func(e *engine.Engine, org string) error {
			d, err := e.Resolve(cmd.Context(), org, args[0], entity)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if q.json {
				return writeJSON(out, map[string]any{
					"organization_id": org, "user_id": args[0], "entity": entity, "access_level": d.Level,
					"via": pathsJSON(d.Via), "denied": pathsJSON(d.Denied),
				})
			}
			return writeExplanation(out, org, args[0], entity, d)
		})
	}
	return cmd
}

// writeExplanation writes explain's tables: the paths that give the user's
// level, then the denies that took levels away, the one that won first.
func writeExplanation(out io.Writer, org, user string, entity model.EntityRef, d resolve.Decision) error {
	fmt.Fprintf(out, "user %s has %s on %s in %s", user, d.Level, entity, org)
	switch {
	case len(d.Via) == 0 && len(d.Denied) == 0:
		_, err := fmt.Fprintln(out, ": no active grant reaches them")
		return err
	case len(d.Via) == 0:
		fmt.Fprintln(out, ": a deny takes away everything their grants give")
	default:
		fmt.Fprintf(out, ", through %d path(s):\n\n", len(d.Via))
		if err := pathTable(out, "GRANT", d.Via); err != nil {
			return err
		}
	}
	if len(d.Denied) == 0 {
		return nil
	}
	won := winningDeny(d.Denied)
	fmt.Fprintf(out, "\ndenied %s and above by %s (deny %s to %s), of %d deny path(s):\n\n",
		won.Grant.Level, won.Grant.ID, won.Grant.Level, won.Grant.Grantee, len(d.Denied))
	return pathTable(out, "DENY", d.Denied)
}

// winningDeny is the deny that caps the level: the lowest, of equal ones the
// first.
func winningDeny(denied []resolve.Path) resolve.Path {
	won := denied[0]
	for _, p := range denied[1:] {
		if p.Grant.Level < won.Grant.Level {
			won = p
		}
	}
	return won
}

// pathTable writes one row a path: the grant, its level and grantee, the
// chain of subjects from the user to the grantee, and the chain of entities
// from the one asked about up to the grant's.
func pathTable(out io.Writer, first string, paths []resolve.Path) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tLEVEL\tGRANTEE\tCHAIN\tENTITIES\n", first)
	for _, p := range paths {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Grant.ID, p.Grant.Level, p.Grant.Grantee, chain(p.Chain), entityChain(p.Entities))
	}
	return tw.Flush()
}

func newWhoCommand() *cobra.Command {
	var q queryFlags
	var minLevel string
	cmd := &cobra.Command{
		Use:   "who --data DIR TYPE:ID [--min LEVEL]",
		Short: "List every user with access to an entity, with their level and how",
		Args:  cobra.ExactArgs(1),
	}
	q.register(cmd)
	cmd.Flags().StringVar(&minLevel, "min", "read", "list users with at least this level")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		entity, err := parseEntity(args[0])
		if err != nil {
			return err
		}
		min, err := model.ParseLevel(minLevel)
		if err != nil {
			return err
		}
		return q.ask(cmd.Context(), func(e *engine.Engine, org string) error {
			users, err := e.UsersWithAccess(cmd.Context(), org, entity, min)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if q.json {
				rows := make([]map[string]any, len(users))
				for i, u := range users {
					rows[i] = map[string]any{"user_id": u.User, "access_level": u.Level, "via": pathsJSON(u.Via)}
				}
				return writeJSON(out, map[string]any{"organization_id": org, "entity": entity, "users": rows})
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tLEVEL\tVIA")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", u.User, u.Level, grantees(u.Via))
			}
			return tw.Flush()
		})
	}
	return cmd
}

func newWhatCommand() *cobra.Command {
	var q queryFlags
	var entityType string
	cmd := &cobra.Command{
		Use:   "what --data DIR USER [--type T]",
		Short: "List every entity USER can reach, with the level and how",
		Args:  cobra.ExactArgs(1),
	}
	q.register(cmd)
	cmd.Flags().StringVar(&entityType, "type", "", "only entities of this type")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return q.ask(cmd.Context(), func(e *engine.Engine, org string) error {
			ds, err := e.ResolvedAccess(cmd.Context(), org, args[0], resolve.Query{EntityType: entityType})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if q.json {
				rows := make([]map[string]any, len(ds))
				for i, d := range ds {
					rows[i] = map[string]any{"entity": d.Entity, "access_level": d.Level, "via": pathsJSON(d.Via)}
				}
				return writeJSON(out, map[string]any{"organization_id": org, "user_id": args[0], "entities": rows})
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ENTITY\tLEVEL\tVIA")
			for _, d := range ds {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Entity, d.Level, grantees(d.Via))
			}
			return tw.Flush()
		})
	}
	return cmd
}

// chain writes a path's chain of subjects, user first.
func chain(subjects []model.Subject) string {
	parts := make([]string, len(subjects))
	for i, s := range subjects {
		parts[i] = s.String()
	}
	return strings.Join(parts, " → ")
}

// entityChain writes a path's chain of entities, the one asked about first.
func entityChain(entities []model.EntityRef) string {
	parts := make([]string, len(entities))
	for i, e := range entities {
		parts[i] = e.String()
	}
	return strings.Join(parts, " → ")
}

// grantees writes the grantee of each path, for a table's VIA column.
func grantees(paths []resolve.Path) string {
	parts := make([]string, len(paths))
	for i, p := range paths {
		parts[i] = p.Grant.Grantee.String()
		if len(p.Chain) == 1 {
			parts[i] = "direct"
		}
	}
	return strings.Join(parts, ", ")
}

func pathsJSON(paths []resolve.Path) []map[string]any {
	out := make([]map[string]any, len(paths))
	for i, p := range paths {
		out[i] = map[string]any{"grant": p.Grant, "chain": p.Chain, "entities": p.Entities}
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
