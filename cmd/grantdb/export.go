package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

func newExportCommand() *cobra.Command {
	var format, org, out string
	cmd := &cobra.Command{
		Use:   "export --data DIR [--format jsonl|csv] [--org ORG] [--out FILE]",
		Short: "Write every organisation's memberships, links and grants as JSON Lines or CSV",
		Long: `export writes memberships, then entity links, then grants, of every organisation (or of --org), one
record a line, streaming, in the shapes import reads: export | import copies a
database but for grant ids and timestamps, which the importing engine assigns.`,
		Args: cobra.NoArgs,
	}
	dir := dataFlag(cmd)
	cmd.Flags().StringVar(&format, "format", "jsonl", "jsonl or csv")
	cmd.Flags().StringVar(&org, "org", "", "export only this organisation")
	cmd.Flags().StringVar(&out, "out", "", "write to FILE instead of stdout")
	cmd.RunE = func(cmd *cobra.Command, _ []string) (err error) {
		var w recordWriter
		switch format {
		case "jsonl":
			w = &jsonlWriter{}
		case "csv":
			w = &csvWriter{}
		default:
			return fmt.Errorf("unknown --format %q: want jsonl or csv", format)
		}
		e, err := openForRead(*dir)
		if err != nil {
			return err
		}
		defer closeInto(e, &err)
		if out == "" {
			return writeExport(cmd.Context(), e, org, w, cmd.OutOrStdout())
		}
		return writeFileWhole(out, func(f io.Writer) error { return writeExport(cmd.Context(), e, org, w, f) })
	}
	return cmd
}

// writeExport writes the export to dst, buffered.
func writeExport(ctx context.Context, e *engine.Engine, org string, w recordWriter, dst io.Writer) error {
	bw := bufio.NewWriterSize(dst, 256<<10)
	if err := export(ctx, e, org, w.start(bw)); err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// writeFileWhole writes path through fill, or leaves it as it was: fill
// writes a temporary file beside it, renamed over path once complete.
func writeFileWhole(path string, fill func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// export hands every membership, link and grant of org (or of every
// organisation) to w, a page of grants at a time.
func export(ctx context.Context, e *engine.Engine, org string, w recordSink) error {
	orgs := []string{org}
	if org == "" {
		var err error
		if orgs, err = e.Organizations(ctx); err != nil {
			return err
		}
	}
	for _, org := range orgs {
		ms, err := e.Memberships(ctx, org)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if err := w.membership(org, m); err != nil {
				return err
			}
		}
		ls, err := e.Links(ctx, org)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if err := w.link(org, l); err != nil {
				return err
			}
		}
		q := model.GrantQuery{Limit: model.MaxPageSize}
		for {
			page, err := e.ListGrants(ctx, org, q)
			if err != nil {
				return err
			}
			for i := range page.Grants {
				if err := w.grant(&page.Grants[i]); err != nil {
					return err
				}
			}
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
	}
	return nil
}

// recordSink takes exported records.
type recordSink interface {
	membership(org string, m model.Membership) error
	link(org string, l model.EntityLink) error
	grant(g *model.Grant) error
}

// recordWriter is a sink writing one format.
type recordWriter interface {
	start(w io.Writer) recordSink
	flush() error
}

// jsonlWriter writes the model's JSON with a kind: a grant is model.Grant's
// object, a membership model.Membership's, each with kind and
// organization_id in front.
type jsonlWriter struct{ w io.Writer }

func (j *jsonlWriter) start(w io.Writer) recordSink { j.w = w; return j }
func (j *jsonlWriter) flush() error                 { return nil }

func (j *jsonlWriter) membership(org string, m model.Membership) error {
	b, err := json.Marshal(struct {
		Kind string `json:"kind"`
		Org  string `json:"organization_id"`
		model.Membership
	}{kindMembership, org, m})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(j.w, "%s\n", b)
	return err
}

// link writes the flat link fields, as the API's errors name them
// (child_type, child_id, parent_type, parent_id).
func (j *jsonlWriter) link(org string, l model.EntityLink) error {
	b, err := json.Marshal(struct {
		Kind       string `json:"kind"`
		Org        string `json:"organization_id"`
		ChildType  string `json:"child_type"`
		ChildID    string `json:"child_id"`
		ParentType string `json:"parent_type"`
		ParentID   string `json:"parent_id"`
	}{kindLink, org, l.Child.Type, l.Child.ID, l.Parent.Type, l.Parent.ID})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(j.w, "%s\n", b)
	return err
}

func (j *jsonlWriter) grant(g *model.Grant) error {
	b, err := g.MarshalJSON()
	if err != nil {
		return err
	}
	// model.Grant's JSON is a flat object: put the kind in front of it.
	if _, err := io.WriteString(j.w, `{"kind":"grant",`); err != nil {
		return err
	}
	if _, err := j.w.Write(b[1:]); err != nil {
		return err
	}
	_, err = io.WriteString(j.w, "\n")
	return err
}

// csvWriter writes csvColumns, with a header.
type csvWriter struct {
	cw  *csv.Writer
	row []string
}

func (c *csvWriter) start(w io.Writer) recordSink {
	c.cw = csv.NewWriter(w)
	_ = c.cw.Write(csvColumns)
	c.row = make([]string, len(csvColumns))
	return c
}

func (c *csvWriter) flush() error { c.cw.Flush(); return c.cw.Error() }

// set puts v in the row's column name.
func (c *csvWriter) set(name, v string) { c.row[csvColumn[name]] = v }

func (c *csvWriter) membership(org string, m model.Membership) error {
	clear(c.row)
	c.set("kind", kindMembership)
	c.set("organization_id", org)
	c.set(model.FieldMemberType, string(m.Member.Type))
	c.set(model.FieldMemberID, m.Member.ID)
	c.set(model.FieldGroupType, string(m.Group.Type))
	c.set(model.FieldGroupID, m.Group.ID)
	return c.cw.Write(c.row)
}

func (c *csvWriter) link(org string, l model.EntityLink) error {
	clear(c.row)
	c.set("kind", kindLink)
	c.set("organization_id", org)
	c.set(model.FieldChildType, l.Child.Type)
	c.set(model.FieldChildID, l.Child.ID)
	c.set(model.FieldParentType, l.Parent.Type)
	c.set(model.FieldParentID, l.Parent.ID)
	return c.cw.Write(c.row)
}

func (c *csvWriter) grant(g *model.Grant) error {
	clear(c.row)
	c.set("kind", kindGrant)
	c.set("organization_id", g.Org)
	c.set("id", g.ID)
	c.set(model.FieldEntityType, g.Entity.Type)
	c.set(model.FieldEntityID, g.Entity.ID)
	c.set(model.FieldGranteeType, string(g.Grantee.Type))
	c.set(model.FieldGranteeID, g.Grantee.ID)
	c.set(model.FieldAccessLevel, g.Level.String())
	if g.Effect != model.EffectAllow {
		c.set(model.FieldEffect, g.Effect.String())
	}
	c.set(model.FieldGrantedBy, g.GrantedBy)
	c.set(model.FieldEffectiveFrom, csvTime(g.EffectiveFrom))
	c.set(model.FieldEffectiveTo, csvTime(g.EffectiveTo))
	c.set("created_at", csvTime(g.CreatedAt))
	c.set("updated_at", csvTime(g.UpdatedAt))
	return c.cw.Write(c.row)
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
