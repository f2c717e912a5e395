package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// writeResults writes <size>.json, <size>.md and <size>.svg into dir, after
// gathering the size curve from the other sizes' JSON files there.
func writeResults(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rep.SizeCurve = sizeCurve(dir, rep)
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	base := filepath.Join(dir, rep.Size)
	if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(base+".md", []byte(markdown(rep)), 0o644); err != nil {
		return err
	}
	svg, err := plots(rep)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return os.WriteFile(base+".svg", svg, 0o644)
}

// render rereads dir/<size>.json and writes its results again, with the
// size curve of the results files in dir now.
func render(dir, size string) error {
	b, err := os.ReadFile(filepath.Join(dir, size+".json"))
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("%s.json: %w", size, err)
	}
	return writeResults(dir, &rep)
}

// sizeCurve returns each engine's check latency by organisation size: this
// run's, and those of the other sizes' results files in dir taken on the
// same machine (older files of another machine are left out).
func sizeCurve(dir string, rep *Report) []SizePoint {
	points := pointsOf(rep, "this run")
	for _, size := range []string{"small", "medium", "large"} {
		if size == rep.Size {
			continue
		}
		name := filepath.Join(dir, size+".json")
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		var other Report
		if json.Unmarshal(b, &other) != nil || !other.Machine.sameMachine(rep.Machine) || modelName(&other) != modelName(rep) {
			continue
		}
		points = append(points, pointsOf(&other, filepath.Base(name)+" of "+other.Started.Format("2006-01-02 15:04"))...)
	}
	slices.SortFunc(points, func(a, b SizePoint) int {
		if c := strings.Compare(a.Engine, b.Engine); c != 0 {
			return c
		}
		return a.Grants - b.Grants
	})
	return points
}

func pointsOf(rep *Report, from string) []SizePoint {
	var out []SizePoint
	for _, name := range engineOrder {
		e := rep.Engines[name]
		if e == nil || e.CheckSamples == 0 {
			continue
		}
		pt := SizePoint{Size: rep.Size, Grants: rep.Grants, Engine: name,
			P50Ns: e.CheckP50Ns, P99Ns: e.CheckP99Ns, Partial: e.LoadStopped, From: from}
		if e.Uniform != nil {
			pt.UniformP50Ns = e.Uniform.CheckP50Ns
		}
		out = append(out, pt)
	}
	return out
}
