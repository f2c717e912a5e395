package main

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// latencies collects timed calls.
type latencies []time.Duration

// summary returns the median, p90, p99 and mean in nanoseconds.
func (l latencies) summary() (p50, p90, p99, mean float64) {
	if len(l) == 0 {
		return 0, 0, 0, 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	var total time.Duration
	for _, d := range s {
		total += d
	}
	return quantile(s, 0.50), quantile(s, 0.90), quantile(s, 0.99), float64(total) / float64(len(s))
}

// quantile returns the q-quantile of sorted s (nearest rank).
func quantile(s []time.Duration, q float64) float64 {
	i := int(q*float64(len(s))+0.5) - 1
	i = min(max(i, 0), len(s)-1)
	return float64(s[i])
}

// timeCalls calls f for i = 0, 1, ... until n calls or the deadline, timing
// each call, and reports whether the deadline stopped it.
func timeCalls(n int, deadline time.Time, f func(i int)) (latencies, bool) {
	l := make(latencies, 0, min(n, 1<<20))
	for i := range n {
		if !deadline.IsZero() && time.Now().After(deadline) {
			return l, true
		}
		t0 := time.Now()
		f(i)
		l = append(l, time.Since(t0))
	}
	return l, false
}

// throughput runs f on goroutines goroutines for about d and returns calls
// per second. Goroutine g calls f with g, g+goroutines, g+2·goroutines, …,
// so no index is asked twice, and counts its calls in a local that it adds
// to the total once, at the end: a counter the goroutines shared on every
// call would move one cache line between the cores each time and cost a
// check of a few hundred nanoseconds a large part of its time. A call
// under way when d ends is waited for and counted.
func throughput(goroutines int, d time.Duration, f func(i int)) float64 {
	var stop atomic.Bool
	var total atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	for g := range goroutines {
		wg.Go(func() {
			var n int64
			for i := g; !stop.Load(); i += goroutines {
				f(i)
				n++
			}
			total.Add(n)
		})
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(start).Seconds()
}

// liveHeap returns the live heap after a full collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// mallocCount returns how many heap objects the process has allocated.
func mallocCount() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// clockOverhead returns the median cost of an empty timed region, which
// every per-call latency includes.
func clockOverhead() float64 {
	l, _ := timeCalls(100_000, time.Time{}, func(int) {})
	p50, _, _, _ := l.summary()
	return p50
}
