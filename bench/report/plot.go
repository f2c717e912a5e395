package main

import (
	"bytes"
	"image/color"
	"math"
	"strings"

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
	nameSpiceDB: color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
}

// plots draws the report's plots as one SVG: latency per operation and
// check latency by size, one above the other, and below them load time and
// heap per engine side by side.
func plots(rep *Report) ([]byte, error) {
	ops, err := operationsPlot(rep)
	if err != nil {
		return nil, err
	}
	sizes, err := sizePlot(rep)
	if err != nil {
		return nil, err
	}
	load, err := enginePlot(rep, "Load time per engine (≥: stopped by its budget)", "load time (log scale)", durationTicks{},
		func(e *EngineResult) float64 { return e.LoadS * 1e9 }, nanos)
	if err != nil {
		return nil, err
	}
	heap, err := enginePlot(rep, "Heap after load per engine (≥: stopped by its budget)", "heap (log scale)", byteTicks{},
		func(e *EngineResult) float64 { return float64(e.HeapBytes) }, func(v float64) string { return bytesIEC(int64(v)) })
	if err != nil {
		return nil, err
	}
	const w, h = 9 * vg.Inch, 15 * vg.Inch
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	pad := vg.Points(8)
	// The upper two thirds hold the two wide plots, the lower third the
	// two narrow ones.
	split := h / 3
	upper := draw.Crop(dc, 0, 0, split, 0)
	lower := draw.Crop(dc, 0, 0, 0, split-h)
	top := plot.Align([][]*plot.Plot{{ops}, {sizes}}, draw.Tiles{Rows: 2, Cols: 1,
		PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad, PadY: vg.Points(20)}, upper)
	ops.Draw(top[0][0])
	sizes.Draw(top[1][0])
	bottom := plot.Align([][]*plot.Plot{{load, heap}}, draw.Tiles{Rows: 1, Cols: 2,
		PadTop: vg.Points(20), PadBottom: pad, PadLeft: pad, PadRight: pad, PadX: vg.Points(20)}, lower)
	load.Draw(bottom[0][0])
	heap.Draw(bottom[0][1])
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// enginePlot draws one figure per engine as a bar on a log scale (bars of
// a log scale need a floor: the smallest value's half), labelled with its
// value.
func enginePlot(rep *Report, title, ylabel string, ticks plot.Ticker, value func(*EngineResult) float64, format func(float64) string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = ticks
	p.Add(plotter.NewGrid())
	var names []string
	var vals []float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, name := range engineOrder {
		e := rep.Engines[name]
		if e == nil || e.Error != "" {
			continue
		}
		v := value(e)
		if v <= 0 {
			continue
		}
		label := name
		if e.LoadStopped {
			label = "≥ " + name
		}
		names = append(names, label)
		vals = append(vals, v)
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	p.NominalX(names...)
	if len(vals) == 0 {
		return p, nil
	}
	floor := lo / 2
	tops := plotter.XYLabels{}
	for i, v := range vals {
		line, err := plotter.NewLine(plotter.XYs{{X: float64(i), Y: floor}, {X: float64(i), Y: v}})
		if err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(names[i], "≥ ")
		line.Color, line.Width = engineColor[name], vg.Points(18)
		p.Add(line)
		tops.XYs = append(tops.XYs, plotter.XY{X: float64(i), Y: v * 1.15})
		tops.Labels = append(tops.Labels, format(v))
	}
	labels, err := plotter.NewLabels(tops)
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign = draw.XCenter
	}
	p.Add(labels)
	p.Y.Min, p.Y.Max = floor, hi*2
	p.X.Min, p.X.Max = -0.6, float64(len(vals))-0.4
	return p, nil
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
			bars = append(bars, bar{label: "Check hot " + name, engine: name, p50: e.CheckP50Ns, p99: e.CheckP99Ns})
		}
	}
	for _, name := range engineOrder {
		if e := rep.Engines[name]; e != nil && e.Uniform != nil && e.Uniform.CheckSamples > 0 {
			bars = append(bars, bar{label: "Check uniform " + name, engine: name, p50: e.Uniform.CheckP50Ns, p99: e.Uniform.CheckP99Ns})
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
	p.Title.Text = "Check latency (median) by organisation size: hot mix solid, uniform dashed (hollow: peer stopped during its load)"
	p.X.Label.Text = "grants (log scale)"
	p.Y.Label.Text = "check latency, median (log scale)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = countTicks{}
	p.Y.Tick.Marker = durationTicks{}
	p.Add(plotter.NewGrid())
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	extend := func(xy plotter.XY) {
		xlo, xhi = math.Min(xlo, xy.X), math.Max(xhi, xy.X)
		ylo, yhi = math.Min(ylo, xy.Y), math.Max(yhi, xy.Y)
	}
	for _, name := range engineOrder {
		for _, mix := range []struct {
			name   string
			p50    func(SizePoint) float64
			dashes []vg.Length
			shape  draw.GlyphDrawer
			hollow draw.GlyphDrawer
		}{
			{mixHot, func(pt SizePoint) float64 { return pt.P50Ns }, nil, draw.CircleGlyph{}, draw.RingGlyph{}},
			{mixUniform, func(pt SizePoint) float64 { return pt.UniformP50Ns }, []vg.Length{vg.Points(4), vg.Points(3)}, draw.SquareGlyph{}, draw.BoxGlyph{}},
		} {
			var full, partial plotter.XYs
			for _, pt := range rep.SizeCurve {
				if pt.Engine != name || mix.p50(pt) <= 0 || pt.Grants <= 0 {
					continue
				}
				xy := plotter.XY{X: float64(pt.Grants), Y: mix.p50(pt)}
				extend(xy)
				if pt.Partial {
					partial = append(partial, xy)
				} else {
					full = append(full, xy)
				}
			}
			if len(full)+len(partial) == 0 {
				continue
			}
			col := engineColor[name]
			// The line joins complete loads only: a stopped load's latency
			// is measured on less data and would bend the curve.
			line := &plotter.Line{XYs: full, LineStyle: draw.LineStyle{Color: col, Width: vg.Points(1.5), Dashes: mix.dashes}}
			if len(full) > 1 {
				p.Add(line)
			}
			for _, set := range []struct {
				xys   plotter.XYs
				shape draw.GlyphDrawer
			}{{full, mix.shape}, {partial, mix.hollow}} {
				if len(set.xys) == 0 {
					continue
				}
				s, err := plotter.NewScatter(set.xys)
				if err != nil {
					return nil, err
				}
				s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: set.shape}
				p.Add(s)
			}
			p.Legend.Add(name+" "+mix.name, line)
		}
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

// byteTicks are log-scale ticks on bytes at powers of two, labelled with
// binary units (a heap plot rarely spans the decades decimal ticks need).
type byteTicks struct{}

func (byteTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	if min <= 0 || max <= min {
		return ticks
	}
	for e := math.Ceil(math.Log2(min)); e <= math.Floor(math.Log2(max)); e++ {
		v := math.Exp2(e)
		ticks = append(ticks, plot.Tick{Value: v, Label: bytesIEC(int64(v))})
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
