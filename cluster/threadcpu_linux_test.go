package cluster_test

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used (Linux's
// RUSAGE_THREAD), so that a benchmark locked to its thread can tell its own
// work from the time it waited for a core.
func threadCPU() (time.Duration, bool) {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
