package main

import (
	"bytes"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

var engineColor = map[string]color.Color{
	nameGrantdb: color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	nameCasbin:  color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	nameOpenFGA: color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
}

// plots draws the report's two plots, one above the other, as SVG.
func plots(rep *Report) ([]byte, error) {
	ops, err := operationsPlot(rep)
	if err != nil {
		return nil, err
	}
	sizes, err := sizePlot(rep)
	if err != nil {
		return nil, err
	}
	const w, h = 9 * vg.Inch, 11 * vg.Inch
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(8), PadBottom: vg.Points(8),
		PadLeft: vg.Points(8), PadRight: vg.Points(8), PadY: vg.Points(20)}
	canvases := plot.Align([][]*plot.Plot{{ops}, {sizes}}, tiles, dc)
	ops.Draw(canvases[0][0])
	sizes.Draw(canvases[1][0])
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// bar is one operation's median and p99, drawn as a segment between them.
type bar struct {
	label    string
	engine   string
	p50, p99 float64
}

// operationsPlot shows, on a log scale, the median and p99 of every
// engine's check and of grantdb's other operations.
func operationsPlot(rep *Report) (*plot.Plot, error) {
	var bars []bar
	for _, name := range engineOrder {
		if e := rep.Engines[name]; e != nil && e.CheckSamples > 0 {
			bars = append(bars, bar{label: "Check " + name, engine: name, p50: e.CheckP50Ns, p99: e.CheckP99Ns})
		}
	}
	for _, op := range rep.Operations {
		if op.Calls > 0 {
			bars = append(bars, bar{label: op.Label, engine: nameGrantdb, p50: op.P50Ns, p99: op.P99Ns})
		}
	}
	p := plot.New()
	p.Title.Text = "Latency per operation, " + rep.Size + " organisation (dot: median, triangle: p99)"
	p.Y.Label.Text = "latency (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = durationTicks{}
	p.Add(plotter.NewGrid())
	labels := make([]string, len(bars))
	lo, hi := math.Inf(1), math.Inf(-1)
	legend := map[string]bool{}
	for i, b := range bars {
		labels[i] = b.label
		if b.p50 <= 0 || b.p99 <= 0 {
			continue
		}
		lo, hi = math.Min(lo, b.p50), math.Max(hi, b.p99)
		col := engineColor[b.engine]
		x := float64(i)
		line, err := plotter.NewLine(plotter.XYs{{X: x, Y: b.p50}, {X: x, Y: b.p99}})
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = col, vg.Points(2)
		med, err := plotter.NewScatter(plotter.XYs{{X: x, Y: b.p50}})
		if err != nil {
			return nil, err
		}
		med.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
		tail, err := plotter.NewScatter(plotter.XYs{{X: x, Y: b.p99}})
		if err != nil {
			return nil, err
		}
		tail.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.TriangleGlyph{}}
		p.Add(line, med, tail)
		if !legend[b.engine] {
			legend[b.engine] = true
			p.Legend.Add(b.engine, med)
		}
	}
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	if lo < hi {
		p.Y.Min, p.Y.Max = lo/2, hi*2
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(4)
	return p, nil
}

// sizePlot shows each engine's median check latency against the number of
// grants, both on log scales.
func sizePlot(rep *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Check latency (median) by organisation size (hollow: peer stopped during its load)"
	p.X.Label.Text = "grants (log scale)"
	p.Y.Label.Text = "check latency, median (log scale)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = countTicks{}
	p.Y.Tick.Marker = durationTicks{}
	p.Add(plotter.NewGrid())
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, name := range engineOrder {
		var full, partial plotter.XYs
		var all plotter.XYs
		for _, pt := range rep.SizeCurve {
			if pt.Engine != name || pt.P50Ns <= 0 || pt.Grants <= 0 {
				continue
			}
			xy := plotter.XY{X: float64(pt.Grants), Y: pt.P50Ns}
			all = append(all, xy)
			if pt.Partial {
				partial = append(partial, xy)
			} else {
				full = append(full, xy)
			}
			xlo, xhi = math.Min(xlo, xy.X), math.Max(xhi, xy.X)
			ylo, yhi = math.Min(ylo, xy.Y), math.Max(yhi, xy.Y)
		}
		if len(all) == 0 {
			continue
		}
		col := engineColor[name]
		// The line joins complete loads only: a stopped load's latency is
		// measured on less data and would bend the curve.
		line := &plotter.Line{XYs: full, LineStyle: draw.LineStyle{Color: col, Width: vg.Points(1.5)}}
		if len(full) > 1 {
			p.Add(line)
		}
		var key plot.Thumbnailer = line
		if len(full) > 0 {
			s, err := plotter.NewScatter(full)
			if err != nil {
				return nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
			p.Add(s)
		}
		if len(partial) > 0 {
			s, err := plotter.NewScatter(partial)
			if err != nil {
				return nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.RingGlyph{}}
			p.Add(s)
		}
		p.Legend.Add(name, key)
	}
	if xlo <= xhi {
		p.X.Min, p.X.Max = xlo/2, xhi*2
		p.Y.Min, p.Y.Max = ylo/3, yhi*3
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(4)
	return p, nil
}

// durationTicks are log-scale ticks on nanoseconds, labelled as durations.
type durationTicks struct{}

func (durationTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = nanos(ticks[i].Value)
		}
	}
	return ticks
}

// countTicks are log-scale ticks labelled as counts with separators.
type countTicks struct{}

func (countTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = count(int(math.Round(ticks[i].Value)))
		}
	}
	return ticks
}
