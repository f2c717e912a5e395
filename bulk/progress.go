package bulk

// progressCalls is about how many times a batch calls Options.Progress,
// whatever its size.
const progressCalls = 256

// progress throttles calls to Options.Progress: done never decreases, the
// same done is never reported twice, and report(total) is always passed on,
// so the last call is (total, total).
type progress struct {
	fn          func(done, total int)
	total, step int
	last        int
	called      bool
}

func newProgress(fn func(done, total int), total int) *progress {
	return &progress{fn: fn, total: total, step: max(1, (total+progressCalls-1)/progressCalls)}
}

func (p *progress) report(done int) {
	if p.fn == nil || p.called && (done <= p.last || done < p.last+p.step && done != p.total) {
		return
	}
	p.fn(done, p.total)
	p.last, p.called = done, true
}
