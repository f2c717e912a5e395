package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Every parser, on any input: no panic, and a refusal always names its line
// (but for input the format cannot place: OpenFGA without --org, a YAML
// structure error).
func FuzzParsers(f *testing.F) {
	for _, name := range []string{"sample.jsonl", "sample.csv", "sample.casbin.csv", "sample.openfga.json", "sample.openfga.yaml", "casbin_policy.csv",
		"sample_deny_links.jsonl", "sample_deny_links.csv", "sample_deny_links.casbin.csv", "sample_deny_links.openfga.yaml", "casbin_deny_policy.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"grant","organization_id":"o","x\u0041":1}`))
	f.Add([]byte("p, a, b, c\ng, a\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		opt := parseOptions{org: "org_fuzz", entityType: "object"}
		for name, parse := range parsers {
			recs, err := parse(bytes.NewReader(in), opt)
			var le *lineError
			if err != nil && !errors.As(err, &le) && name != "openfga" {
				t.Errorf("%s: refusal without a line: %v", name, err)
			}
			if err == nil {
				for _, r := range recs {
					if r.line < 1 || r.kind == "" {
						t.Errorf("%s: record without a line or kind: %+v", name, r)
					}
				}
				_ = validate(recs, nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			}
		}
	})
}
