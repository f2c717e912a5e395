package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

// dirFile is one file of a database directory. The names are the top
// README's "On disk": snapshot-<revision>.buntdb, journal-<first
// revision>.buntdb, LOCK, MANIFEST, and *.tmp for a file being written.
type dirFile struct {
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	// Kind is snapshot, journal, lock, manifest, temporary or other.
	Kind string `json:"kind"`
	// Revision is a snapshot's revision, or the first of a journal segment.
	Revision uint64 `json:"revision,omitempty"`
}

// listDir reads the files of a database directory, sorted by name.
func listDir(dir string) ([]dirFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []dirFile
	for _, ent := range entries {
		info, err := ent.Info()
		if err != nil {
			return nil, err
		}
		f := dirFile{Name: ent.Name(), Size: info.Size(), Modified: info.ModTime().UTC(), Kind: "other"}
		switch name := ent.Name(); {
		case name == "LOCK":
			f.Kind = "lock"
		case name == "MANIFEST":
			f.Kind = "manifest"
		case strings.HasSuffix(name, ".tmp"):
			f.Kind = "temporary"
		case strings.HasPrefix(name, "snapshot-") && strings.HasSuffix(name, ".buntdb"):
			f.Kind, f.Revision = "snapshot", revisionOf(name, "snapshot-")
		case strings.HasPrefix(name, "journal-") && strings.HasSuffix(name, ".buntdb"):
			f.Kind, f.Revision = "journal", revisionOf(name, "journal-")
		}
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

func revisionOf(name, prefix string) uint64 {
	n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, prefix), ".buntdb"), 10, 64)
	return n
}

// orgStats counts what one organisation holds.
type orgStats struct {
	Org         string `json:"organization_id"`
	Grants      int    `json:"grants"`
	Memberships int    `json:"memberships"`
	Links       int    `json:"links"`
}

func countOrg(ctx context.Context, e *engine.Engine, org string) (orgStats, error) {
	s := orgStats{Org: org}
	ms, err := e.Memberships(ctx, org)
	if err != nil {
		return s, err
	}
	s.Memberships = len(ms)
	ls, err := e.Links(ctx, org)
	if err != nil {
		return s, err
	}
	s.Links = len(ls)
	q := model.GrantQuery{Limit: model.MaxPageSize}
	for {
		page, err := e.ListGrants(ctx, org, q)
		if err != nil {
			return s, err
		}
		s.Grants += len(page.Grants)
		if page.NextCursor == "" {
			return s, nil
		}
		q.Cursor = page.NextCursor
	}
}

func newStatsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats --data DIR",
		Short: "Count organisations, grants, memberships and links, and list the directory's files",
		Args:  cobra.NoArgs,
	}
	dir := dataFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON for scripts instead of a table")
	cmd.RunE = func(cmd *cobra.Command, _ []string) (err error) {
		ctx := cmd.Context()
		e, err := openForRead(*dir)
		if err != nil {
			return err
		}
		defer closeInto(e, &err)
		// The files as Open left them (it may have cut a crash tail).
		files, err := listDir(*dir)
		if err != nil {
			return err
		}
		orgs, err := e.Organizations(ctx)
		if err != nil {
			return err
		}
		var total orgStats
		per := make([]orgStats, 0, len(orgs))
		for _, org := range orgs {
			s, err := countOrg(ctx, e, org)
			if err != nil {
				return err
			}
			per = append(per, s)
			total.Grants += s.Grants
			total.Memberships += s.Memberships
			total.Links += s.Links
		}
		snap, journals := revisions(files)
		var bytes int64
		for _, f := range files {
			bytes += f.Size
		}
		out := cmd.OutOrStdout()
		if asJSON {
			v := map[string]any{
				"organizations": len(orgs), "grants": total.Grants, "memberships": total.Memberships,
				"links": total.Links, "per_organization": per, "files": files, "bytes": bytes,
				"snapshot_revision": nil, "journal_revisions": journals,
			}
			if snap != nil {
				v["snapshot_revision"], v["snapshot_age_seconds"] = snap.Revision, int(time.Since(snap.Modified).Seconds())
			}
			return writeJSON(out, v)
		}
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "directory\t%s\n", *dir)
		fmt.Fprintf(tw, "organisations\t%d\n", len(orgs))
		fmt.Fprintf(tw, "grants\t%d\n", total.Grants)
		fmt.Fprintf(tw, "memberships\t%d\n", total.Memberships)
		fmt.Fprintf(tw, "links\t%d\n", total.Links)
		if snap != nil {
			fmt.Fprintf(tw, "snapshot\trevision %d, written %s ago\n", snap.Revision, time.Since(snap.Modified).Round(time.Second))
		} else {
			fmt.Fprintf(tw, "snapshot\tnone yet (everything is in the journal)\n")
		}
		if len(journals) > 0 {
			fmt.Fprintf(tw, "journal\t%d segment(s), from revision %d\n", len(journals), journals[0])
		}
		fmt.Fprintf(tw, "on disk\t%s in %d file(s)\n", humanBytes(bytes), len(files))
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(per) > 1 {
			fmt.Fprintln(out)
			tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "ORGANISATION\tGRANTS\tMEMBERSHIPS\tLINKS\t")
			for _, s := range per {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", s.Org, s.Grants, s.Memberships, s.Links)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tSIZE\tMODIFIED")
		for _, f := range files {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", filepath.Base(f.Name), humanBytes(f.Size), f.Modified.Format(time.RFC3339))
		}
		return tw.Flush()
	}
	return cmd
}

// revisions returns the newest snapshot and the first revisions of the
// journal segments, in order.
func revisions(files []dirFile) (*dirFile, []uint64) {
	var snap *dirFile
	var journals []uint64
	for i := range files {
		switch f := &files[i]; f.Kind {
		case "snapshot":
			if snap == nil || f.Revision > snap.Revision {
				snap = f
			}
		case "journal":
			journals = append(journals, f.Revision)
		}
	}
	sort.Slice(journals, func(i, j int) bool { return journals[i] < journals[j] })
	return snap, journals
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
