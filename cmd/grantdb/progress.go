package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports how far a long command has come.
type progress interface {
	// Set says done of the total are done.
	Set(done int)
	// Finish ends the report.
	Finish()
}

// newProgress returns a progress bar with rate and ETA when w is a terminal,
// and otherwise plain lines (logs and pipes get no carriage returns): one at
// each tenth of the way, at most one a second, and the last.
// unit names what is counted: "rec" (records) or "B" (bytes, shown as KB,
// MB, …).
func newProgress(w io.Writer, what, unit string, total int) progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionClearOnFinish(),
		}
		if unit == "B" {
			opts = append(opts, progressbar.OptionShowBytes(true)) // rate in KB/s, MB/s
		} else {
			opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit))
		}
		return &barProgress{bar: progressbar.NewOptions(total, opts...)}
	}
	return &lineProgress{w: w, what: what, unit: unit, total: total, start: time.Now(), last: time.Now()}
}

type barProgress struct{ bar *progressbar.ProgressBar }

func (p *barProgress) Set(done int) { _ = p.bar.Set(done) }
func (p *barProgress) Finish()      { _ = p.bar.Finish() }

type lineProgress struct {
	w           io.Writer
	what, unit  string
	total, next int
	done        int
	start, last time.Time
}

func (p *lineProgress) Set(done int) {
	p.done = done
	if done < p.next || done == p.total || time.Since(p.last) < time.Second {
		return
	}
	for p.next <= done {
		p.next += max(p.total/10, 1)
	}
	p.print()
}

func (p *lineProgress) Finish() {
	if p.total > 0 {
		p.print()
	}
}

func (p *lineProgress) print() {
	p.last = time.Now()
	elapsed := p.last.Sub(p.start)
	rate := float64(p.done) / max(elapsed.Seconds(), 1e-9)
	line := fmt.Sprintf("%s: %d/%d %s (%d%%), %.0f %s/s", p.what, p.done, p.total, p.unit, p.done*100/p.total, rate, p.unit)
	if p.done < p.total && p.done > 0 {
		eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		line += fmt.Sprintf(", about %s left", eta.Round(time.Second))
	}
	fmt.Fprintln(p.w, line)
}
