package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/grantdb/grantdb/engine"
)

// verdict is what Open does with a directory.
type verdict struct {
	// Outcome is clean, recovered (Open cut a crash tail or dropped part of
	// an unfinished commit, and then opened) or refused.
	Outcome string `json:"outcome"`
	// Class names the refusal: corrupt, not_database, unsupported_format or
	// error.
	Class string `json:"class,omitempty"`
	Error string `json:"error,omitempty"`
	// Recovered lists what Open logged it recovered from.
	Recovered []string `json:"recovered,omitempty"`
}

func newVerifyCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify --data DIR",
		Short: "Say what Open would do with the directory: open cleanly, cut a crash tail, or refuse",
		Long: `verify copies the directory to a scratch directory and opens the copy exactly as
engine.Open opens a database, so DIR itself is never changed. It reports the
outcome: clean; recovered (Open cut a crash tail off the journal, or dropped
part records of a commit that never completed, and then opened); or refused,
with the class of the error (corrupt, not_database, unsupported_format).
Exit status: 0 clean, 1 recovered or refused, 2 when verify itself failed.`,
		Args: cobra.NoArgs,
	}
	dir := dataFlag(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON for scripts")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		v, err := verify(cmd.Context(), *dir, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		if asJSON {
			if err := writeJSON(out, v); err != nil {
				return err
			}
		} else {
			switch v.Outcome {
			case "clean":
				fmt.Fprintf(out, "clean: %s opens as it is\n", *dir)
			case "recovered":
				fmt.Fprintf(out, "recovered: %s opens after Open repairs it:\n", *dir)
				for _, r := range v.Recovered {
					fmt.Fprintf(out, "  %s\n", r)
				}
			default:
				fmt.Fprintf(out, "refused (%s): %s\n", v.Class, v.Error)
			}
		}
		if v.Outcome != "clean" {
			return exitStatus{exitDenied}
		}
		return nil
	}
	return cmd
}

// verify opens a scratch copy of dir and says what Open did, showing the
// copy's progress (by bytes) on stderr. (store/disk has no call that checks
// a directory without opening it, and Open reads every file and record:
// the copy is what takes time on a large directory.)
func verify(ctx context.Context, dir string, stderr io.Writer) (verdict, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return verdict{}, err
	}
	if !fi.IsDir() {
		return verdict{Outcome: "refused", Class: "not_database", Error: dir + " is not a directory"}, nil
	}
	locked, err := lockedByWriter(dir)
	if err != nil {
		return verdict{}, err
	}
	if locked {
		return verdict{}, fmt.Errorf("%s is locked: a process (the service?) has it open, and a copy taken while it writes is no evidence. "+
			"Stop it, or verify a copy made with its Snapshot: %w", dir, engine.ErrLocked)
	}
	scratch, err := os.MkdirTemp("", "grantdb-verify-")
	if err != nil {
		return verdict{}, err
	}
	defer os.RemoveAll(scratch)
	if err := copyDir(dir, scratch, stderr); err != nil {
		return verdict{}, fmt.Errorf("copy %s: %w", dir, err)
	}
	logs := &logRecorder{}
	e, err := engine.Open(engine.WithPath(scratch), engine.WithSweepInterval(0), engine.WithLogger(slog.New(logs)))
	if err != nil {
		return verdict{Outcome: "refused", Class: errorClass(err), Error: strings.ReplaceAll(err.Error(), scratch, dir)}, nil
	}
	if err := e.Close(); err != nil {
		return verdict{}, err
	}
	v := verdict{Outcome: "clean"}
	for _, r := range logs.lines() {
		v.Outcome = "recovered"
		v.Recovered = append(v.Recovered, strings.ReplaceAll(r, scratch, dir))
	}
	return v, nil
}

func errorClass(err error) string {
	switch {
	case errors.Is(err, engine.ErrCorrupt):
		return "corrupt"
	case errors.Is(err, engine.ErrNotDatabase):
		return "not_database"
	case errors.Is(err, engine.ErrUnsupportedFormat):
		return "unsupported_format"
	}
	return "error"
}

// copyDir copies the regular files of src into dst (no subdirectories: a
// database directory has none, and Open refuses one that has), showing its
// progress on stderr.
func copyDir(src, dst string, stderr io.Writer) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	total := 0
	for _, ent := range entries {
		if info, err := ent.Info(); err == nil && info.Mode().IsRegular() {
			total += int(info.Size())
		}
	}
	copied := &readProgress{}
	if total > 0 {
		copied.prog = newProgress(stderr, "copy", "B", total)
		defer copied.done()
	}
	for _, ent := range entries {
		if ent.IsDir() {
			if err := os.Mkdir(filepath.Join(dst, ent.Name()), 0o755); err != nil {
				return err
			}
			continue
		}
		if err := copyFile(filepath.Join(src, ent.Name()), filepath.Join(dst, ent.Name()), copied); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies src to dst, counting the bytes read in progress.
func copyFile(src, dst string, progress *readProgress) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	progress.r = in
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, progress); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// logRecorder is a slog handler keeping what Open logs at warning or above.
type logRecorder struct {
	mu    sync.Mutex
	attrs []slog.Attr
	recs  *[]string
}

func (h *logRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(strings.TrimPrefix(r.Message, "grantdb: "))
	add := func(a slog.Attr) bool {
		v := a.Value.String()
		if a.Key == "file" {
			v = filepath.Base(v)
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, v)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.recs == nil {
		h.recs = new([]string)
	}
	*h.recs = append(*h.recs, b.String())
	return nil
}

func (h *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.recs == nil {
		h.recs = new([]string)
	}
	return &logRecorder{attrs: append(h.attrs[:len(h.attrs):len(h.attrs)], attrs...), recs: h.recs}
}

func (h *logRecorder) WithGroup(string) slog.Handler { return h }

func (h *logRecorder) lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.recs == nil {
		return nil
	}
	return append([]string(nil), *h.recs...)
}
