//go:build race

package main

// raceEnabled: the race detector slows the service several times, so the
// load test sends less.
const raceEnabled = true
