package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEndToEnd builds the real binary, runs it on a loopback port over a data
// directory, and drives it as a client would: bulk loads through three of
// the APIs, checks resolved access, runs AVEVA jobs to completion, stops it
// with SIGTERM, starts it again on the same directory and finds everything
// there. It is not skipped under -short: building and running it takes a few
// seconds, well within the CI budget.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "accessapi")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	keys := filepath.Join(dir, "keys.json")
	require.NoError(t, os.WriteFile(keys, []byte(`{"key-xyz": "org_xyz789", "key-avv": "tenant1/ns1"}`), 0o600))
	data := filepath.Join(dir, "accessapi.db")

	p := startService(t, bin, "-keys", keys, "-data", data)

	// Bulk-load: Elacity (200 grants on fleets), Canopy (all-or-nothing, 50
	// node assignments), Aitronos (department grants) and a membership.
	var elacity []any
	for f := range 10 {
		for u := range 20 {
			elacity = append(elacity, map[string]string{"userId": fmt.Sprintf("u%02d", u), "resourceType": "fleet", "resourceId": fmt.Sprintf("f%d", f)})
		}
	}
	r := p.call(t, http.MethodPost, elacityPath, keyXYZ, map[string]any{"orgSlug": orgXYZ, "grants": elacity})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.EqualValues(t, 200, r.Object(t)["summary"].(map[string]any)["created"])

	var canopy []any
	for n := range 50 {
		canopy = append(canopy, map[string]string{"identity_id": fmt.Sprintf("u%02d", n%20), "node_id": fmt.Sprintf("n%d", n), "role_id": "write"})
	}
	r = p.call(t, http.MethodPost, canopyPath, keyXYZ, map[string]any{"assignments": canopy})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.EqualValues(t, 50, r.Object(t)["summary"].(map[string]any)["succeeded"])

	r = p.call(t, http.MethodPost, grantsPath+"/bulk", keyXYZ, map[string]any{"grants": []any{
		map[string]string{"entity_type": "knowledge_slice", "entity_id": "ks1", "grantee_type": "department", "grantee_id": "eng", "access_level": "admin"},
		map[string]string{"entity_type": "assistant", "entity_id": "a1", "grantee_type": "department", "grantee_id": "eng", "access_level": "read"},
	}})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	member := "/v1/organizations/org_xyz789/access/groups/department/eng/members/user/u00"
	require.Equal(t, http.StatusNoContent, p.call(t, http.MethodPut, member, keyXYZ, nil).Status)

	// Resolved access: u00 reaches 10 fleets, nodes n0, n20, n40, and two
	// entities through eng.
	resolved := "/v1/organizations/org_xyz789/access/users/u00/resolved-access"
	r = p.call(t, http.MethodGet, resolved, keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	before := r.Raw
	ents := r.Object(t)["entities"].([]any)
	assert.Len(t, ents, 10+3+2)
	levels := map[string]string{}
	for _, e := range ents {
		e := e.(map[string]any)
		levels[e["entity_type"].(string)+":"+e["entity_id"].(string)] = e["access_level"].(string)
	}
	assert.Equal(t, "admin", levels["knowledge_slice:ks1"])
	assert.Equal(t, "write", levels["node:n20"])
	assert.Equal(t, "read", levels["fleet:f9"])

	// AVEVA: give ten streams an ACL, then replace one role's entries over
	// the whole namespace; each job runs to completion.
	var streams []string
	for s := range 10 {
		streams = append(streams, fmt.Sprintf("s%d", s))
	}
	ace := func(typ int, id string, rights int) any {
		return map[string]any{"Trustee": map[string]any{"Type": typ, "ObjectId": id}, "AccessType": 0, "AccessRights": rights}
	}
	job1 := p.runJob(t, map[string]any{"Operation": 1, "Scope": 1, "ResourceIds": streams, "Description": "initial ACL",
		"AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": []any{ace(3, "viewers", 1), ace(1, "alice", 15)}}})
	assert.EqualValues(t, 3, job1["Status"], "Succeeded")
	assert.EqualValues(t, 10, job1["StepsSucceeded"])
	job2 := p.runJob(t, map[string]any{"Operation": 0, "Scope": 0, "RoleIds": []string{"viewers"},
		"AccessControlList": map[string]any{"RoleTrusteeAccessControlEntries": []any{ace(3, "viewers", 3)}}})
	assert.EqualValues(t, 3, job2["Status"])
	assert.EqualValues(t, 10, job2["TotalSteps"])
	r = p.call(t, http.MethodGet, jobsPath+"/"+job2["Id"].(string)+"/jobsteps?filterBy=0&skip=2&count=5", keyTenant, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.Len(t, r.JSON(t), 5)
	jobsBefore := p.call(t, http.MethodGet, jobsPath, keyTenant, nil).Raw
	grantsBefore := p.call(t, http.MethodGet, grantsPath+"?limit=1000", keyXYZ, nil).Raw

	p.stop(t)

	// Restart on the same data directory: everything is there.
	p = startService(t, bin, "-keys", keys, "-data", data)
	r = p.call(t, http.MethodGet, resolved, keyXYZ, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	assert.JSONEq(t, string(before), string(r.Raw), "resolved access survives the restart")
	assert.JSONEq(t, string(grantsBefore), string(p.call(t, http.MethodGet, grantsPath+"?limit=1000", keyXYZ, nil).Raw))
	assert.Len(t, decodeJSONBytes(t, grantsBefore)["grants"], 200+50+2)
	assert.JSONEq(t, string(jobsBefore), string(p.call(t, http.MethodGet, jobsPath, keyTenant, nil).Raw), "jobs survive the restart")
	r = p.call(t, http.MethodGet, jobsPath+"/"+job1["Id"].(string)+"/jobsteps", keyTenant, nil)
	assert.Len(t, r.JSON(t), 10, "steps survive the restart")
	// And it keeps working: a new grant, a duplicate refused.
	require.Equal(t, http.StatusCreated, p.call(t, http.MethodPost, grantsPath, keyXYZ, seedCreateRequest).Status)
	require.Equal(t, http.StatusConflict, p.call(t, http.MethodPost, grantsPath, keyXYZ, seedCreateRequest).Status)
	p.stop(t)
}

func decodeJSONBytes(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// service is a running accessapi process.
type service struct {
	cmd    *exec.Cmd
	base   string
	client *http.Client
	// exited is closed when the process has exited; err is its exit error.
	exited chan struct{}
	err    error
	stdout *bytes.Buffer
}

// startService starts bin on a free loopback port (port 0: the service
// prints the address it got) and waits for that line.
func startService(t *testing.T, bin string, args ...string) *service {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &service{cmd: cmd, client: &http.Client{Timeout: 30 * time.Second}, exited: make(chan struct{}), stdout: &bytes.Buffer{}}
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if a, ok := strings.CutPrefix(lines.Text(), "accessapi: listening on "); ok {
				addr <- a
			}
			p.stdout.WriteString(lines.Text() + "\n")
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.base = <-addr:
	case <-p.exited:
		t.Fatalf("accessapi exited before listening: %v\n%s", p.err, stderr.String())
	case <-time.After(time.Minute):
		t.Fatal("accessapi did not print its address within a minute")
	}
	return p
}

// call sends one request; body is a string sent as is or a value as JSON.
func (p *service) call(t *testing.T, method, path, key string, body any) response {
	t.Helper()
	req := newRequest(t, method, p.base+path, body)
	req.RequestURI = ""
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := p.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
}

// runJob creates an AVEVA job and polls its summary until it ends (bounded).
func (p *service) runJob(t *testing.T, body any) map[string]any {
	t.Helper()
	r := p.call(t, http.MethodPost, jobsPath, keyTenant, body)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	id := r.Object(t)["Id"].(string)
	for range 1200 { // at most a minute
		r = p.call(t, http.MethodGet, jobsPath+"/"+id, keyTenant, nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		sum := r.Object(t)
		if st := sum["Status"].(float64); st >= 3 { // Succeeded, Cancelled, Failed, PartiallySucceeded
			return sum
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s did not end", id)
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (p *service) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		t.Fatal("accessapi did not stop within a minute of SIGTERM")
	}
	require.NoError(t, p.err, "exit status")
	assert.Contains(t, p.stdout.String(), "accessapi: stopped")
}
