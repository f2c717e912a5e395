//go:build race

package gen_test

// raceEnabled: the race detector slows the engine several times, and the
// medium and large organisations take minutes under it while adding no
// concurrency that small lacks, so those sizes run without -race only.
const raceEnabled = true
