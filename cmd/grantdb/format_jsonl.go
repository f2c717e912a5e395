package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// maxLine is the longest line JSON Lines and Casbin input may hold.
const maxLine = 1 << 20

// jsonlChunk is how many lines one parsing goroutine takes at a time.
const jsonlChunk = 4096

// parseJSONLines reads one flat record a line; blank lines are skipped.
// Unknown fields are refused, so that a misspelt field is not silently lost.
// Chunks of lines are decoded on every core; the records keep file order, and
// of several bad lines the first is reported.
func parseJSONLines(r io.Reader, opt parseOptions) ([]record, error) {
	type chunk struct {
		first int // line number of lines[0]
		lines [][]byte
		recs  []record
		err   error
	}
	var chunks []*chunk
	work := make(chan *chunk)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for c := range work {
				c.recs = make([]record, 0, len(c.lines))
				for i, line := range c.lines {
					rec, ok, err := parseJSONLine(c.first+i, line, opt)
					if err != nil {
						c.err = err
						break
					}
					if ok {
						c.recs = append(c.recs, rec)
					}
				}
				c.lines = nil
			}
		})
	}
	cur := &chunk{first: 1}
	err := eachLine(r, func(n int, line []byte) error {
		cur.lines = append(cur.lines, bytes.Clone(line))
		if len(cur.lines) == jsonlChunk {
			chunks = append(chunks, cur)
			work <- cur
			cur = &chunk{first: n + 1}
		}
		return nil
	})
	chunks = append(chunks, cur)
	work <- cur
	close(work)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	total := 0
	for _, c := range chunks {
		if c.err != nil {
			return nil, c.err
		}
		total += len(c.recs)
	}
	recs := make([]record, 0, total)
	for _, c := range chunks {
		recs = append(recs, c.recs...)
	}
	return recs, nil
}

// parseJSONLine reads line n; ok is false for a blank line.
func parseJSONLine(n int, line []byte, opt parseOptions) (record, bool, error) {
	if len(bytes.TrimSpace(line)) == 0 {
		return record{}, false, nil
	}
	var f flatRecord
	if err := json.Unmarshal(line, &f); err != nil {
		return record{}, false, atLine(n, jsonError(err))
	}
	if key, ok := unknownKey(line); ok {
		return record{}, false, atLinef(n, "unknown field %q", key)
	}
	rec, err := f.toRecord(n, opt.org)
	return rec, err == nil, err
}

// flatKeys are the JSON fields of flatRecord.
var flatKeys = func() map[string]bool {
	keys := map[string]bool{}
	for _, c := range csvColumns {
		keys[c] = true
	}
	keys["member"], keys["group"], keys["child"], keys["parent"] = true, true, true, true
	return keys
}()

// unknownKey returns the first key of the (valid) JSON object b that is not
// a flatRecord field. It is encoding/json's DisallowUnknownFields at a
// fraction of its cost: a scan for the object's own keys, skipping strings
// and nested values.
func unknownKey(b []byte) (string, bool) {
	depth := 0
	expectKey := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{', '[':
			depth++
			expectKey = depth == 1 && c == '{'
		case '}', ']':
			depth--
		case ',':
			expectKey = depth == 1
		case '"':
			end := stringEnd(b, i)
			if expectKey {
				raw := b[i : end+1]
				var key string
				if bytes.IndexByte(raw, '\\') < 0 {
					if !flatKeys[string(raw[1:len(raw)-1])] {
						return string(raw[1 : len(raw)-1]), true
					}
				} else if json.Unmarshal(raw, &key) == nil && !flatKeys[key] {
					return key, true
				}
				expectKey = false
			}
			i = end
		}
	}
	return "", false
}

// stringEnd returns the index of the quote closing the JSON string that
// starts at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(b) - 1
}

// jsonError rewords encoding/json's errors for a reader of the file.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("not valid JSON (at byte %d): %v", syn.Offset, err)
	case errors.As(err, &typ):
		return fmt.Errorf("field %s: want a JSON %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("not valid JSON: the object is cut short")
	}
	return err
}

// eachLine calls fn with every line of r and its number, from 1. The line's
// bytes are valid only until fn returns.
func eachLine(r io.Reader, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(n, sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return atLinef(n+1, "line longer than %d bytes", maxLine)
		}
		return err
	}
	return nil
}
