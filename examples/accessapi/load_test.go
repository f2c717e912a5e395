package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grantdb/grantdb/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The load test's scale and the heap bound it asserts (README.md, "Limits").
const (
	loadTenants       = 6
	loadGrantsPerUser = 2000 // entities the hot user of each tenant reaches
	loadBodyBytes     = 512 << 10
	loadBodySenders   = 8 // each sends loadBodyRounds bodies of loadBodyBytes
	loadBodyRounds    = 2 // 1 under -race
	loadSlowReaders   = 4 // each pipelines loadSlowRequests and never reads
	loadSlowRequests  = 10
	loadListers       = 8 // each walks a hot user's listing loadListRounds times
	loadListRounds    = 2 // 1 under -race
	// loadHeapBound is the most HeapInuse the process may reach under
	// the load: the engine's data, four bodies' budget with what they
	// decode into, two pages built at once and the pages in writing.
	loadHeapBound = 256 << 20
)

// TestHostileLoad serves many tenants at once on a loopback port, under
// the limits the service documents (bodies in flight, listings, write
// timeout): big bodies, clients that never read, huge listings. Every
// answer is a success or a documented 503/429 refusal, never another 5xx,
// and the heap, sampled throughout, stays under loadHeapBound.
func TestHostileLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the load test sends some hundred requests with megabyte bodies over loopback (tens of seconds under -race); it runs without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bodyRounds, listRounds := loadBodyRounds, loadListRounds
	if raceEnabled {
		bodyRounds, listRounds = 1, 1
	}

	keys := map[string]string{}
	for i := range loadTenants {
		keys[fmt.Sprintf("key-%d", i)] = fmt.Sprintf("org_%d", i)
	}
	eng, err := engine.Open(engine.WithEntityTypes("knowledge_slice", "vector_store"))
	require.NoError(t, err)
	defer eng.Close()
	lim := defaultLimits()
	lim.maxBody = loadBodyBytes + 64<<10
	lim.bodyBudget = 4 * lim.maxBody
	lim.maxListings = 2
	// Generous deadlines: the machine may be shared; what is tested is
	// that answers are bounded, not fast.
	lim.requestTimeout = 40 * time.Second
	s := newServer(eng, keys, lim)
	tm := defaultTimeouts()
	tm.write = 50 * time.Second
	srv := newHTTPServer(s, tm, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	// The heap sampler.
	var peak atomic.Uint64
	sampled := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		bad      []string
	)
	send := func(method, path, key string, body []byte) (int, []byte) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
		require.NoError(t, err)
		req.Header.Set("X-API-Key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			mu.Lock()
			bad = append(bad, fmt.Sprintf("%s %s: %v", method, path, err))
			mu.Unlock()
			return 0, nil
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mu.Lock()
		statuses[resp.StatusCode]++
		refusal := resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests
		if resp.StatusCode >= 500 && !refusal || refusal && resp.Header.Get("Retry-After") == "" {
			bad = append(bad, fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, raw))
		}
		mu.Unlock()
		return resp.StatusCode, raw
	}
	org := func(i int) string { return fmt.Sprintf("/v1/organizations/org_%d/access", i) }
	key := func(i int) string { return fmt.Sprintf("key-%d", i) }

	// Each tenant's hot user reaches loadGrantsPerUser slices, loaded in
	// bodies under the limit (retried while the service is busy).
	for i := range loadTenants {
		for part := 0; part < loadGrantsPerUser; part += 1000 {
			var items []any
			for k := part; k < min(part+1000, loadGrantsPerUser); k++ {
				items = append(items, map[string]string{"entity_type": "knowledge_slice", "entity_id": fmt.Sprintf("ks%05d", k),
					"grantee_type": "user", "grantee_id": "hot", "access_level": "read"})
			}
			b, err := json.Marshal(map[string]any{"grants": items})
			require.NoError(t, err)
			st, raw := send(http.MethodPost, org(i)+"/grants/bulk", key(i), b)
			require.Equal(t, http.StatusOK, st, "body: %s", raw)
		}
	}

	var wg sync.WaitGroup
	// Big bodies: more at once than the budget holds.
	for g := range loadBodySenders {
		wg.Go(func() {
			for range bodyRounds {
				send(http.MethodPost, org(g%loadTenants)+"/grants/bulk", key(g%loadTenants), bigBulkBody(loadBodyBytes, "big"))
			}
		})
	}
	// Slow readers: pipelined listings whose answers are never read.
	var slow []net.Conn
	for g := range loadSlowReaders {
		conn, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
		slow = append(slow, conn)
		var reqs bytes.Buffer
		for range loadSlowRequests {
			fmt.Fprintf(&reqs, "GET %s/users/hot/resolved-access?limit=1000 HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\n\r\n", org(g%loadTenants), key(g%loadTenants))
		}
		_, err = conn.Write(reqs.Bytes())
		require.NoError(t, err)
	}
	// Huge listings: every page of a hot user's 2000 entities, and an
	// entity's users.
	for g := range loadListers {
		wg.Go(func() {
			i := g % loadTenants
			for range listRounds {
				path := org(i) + "/users/hot/resolved-access?limit=1000"
				for range 10 {
					st, raw := send(http.MethodGet, path, key(i), nil)
					if st != http.StatusOK {
						break
					}
					var page struct {
						NextCursor *string `json:"next_cursor"`
					}
					if !assert.NoError(t, json.Unmarshal(raw, &page)) || page.NextCursor == nil {
						break
					}
					path = org(i) + "/users/hot/resolved-access?limit=1000&cursor=" + url.QueryEscape(*page.NextCursor)
				}
				send(http.MethodGet, org(i)+"/entities/knowledge_slice/ks00001/users?limit=1000", key(i), nil)
			}
		})
	}
	wg.Wait()
	for _, c := range slow {
		c.Close()
	}
	close(stopSampling)
	<-sampled

	t.Logf("statuses %v; peak HeapInuse %d MiB (bound %d MiB)", statuses, peak.Load()>>20, loadHeapBound>>20)
	assert.Empty(t, bad, "only successes and documented refusals (503/429 with Retry-After)")
	assert.Positive(t, statuses[http.StatusOK])
	assert.LessOrEqual(t, peak.Load(), uint64(loadHeapBound), "peak HeapInuse")
}
