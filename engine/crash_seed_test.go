package engine_test

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The crash test's randomness (when each child is killed) comes from one
// seed: the clock by default, or the -crash.seed flag or GRANTDB_CRASH_SEED
// to replay a failure. The test logs the seed it used.

const crashSeedEnv = "GRANTDB_CRASH_SEED"

var crashSeedFlag = flag.String("crash.seed", "", "seed of TestCrashRecovery's randomness (default: "+crashSeedEnv+", else the clock)")

// crashSeed returns the seed to use: the flag, else the environment, else
// the clock. A seed that is not a number is an error.
func crashSeed(flagValue string, getenv func(string) string, now func() time.Time) (uint64, error) {
	s := flagValue
	if s == "" {
		s = getenv(crashSeedEnv)
	}
	if s == "" {
		return uint64(now().UnixNano()), nil
	}
	seed, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("crash seed %q: %w", s, err)
	}
	return seed, nil
}

// testCrashSeed is crashSeed for a test, logged so that a failure reproduces.
func testCrashSeed(t *testing.T) uint64 {
	t.Helper()
	seed, err := crashSeed(*crashSeedFlag, os.Getenv, time.Now)
	require.NoError(t, err)
	t.Logf("seed %d (replay with -crash.seed=%d or %s=%d)", seed, seed, crashSeedEnv, seed)
	return seed
}

func TestCrashSeed(t *testing.T) {
	clock := func() time.Time { return time.Unix(0, 42) }
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == crashSeedEnv {
				return v
			}
			return ""
		}
	}
	cases := []struct {
		name, flag, env string
		want            uint64
	}{
		{"clock", "", "", 42},
		{"env", "", "7", 7},
		{"flag over env", "9", "7", 9},
	}
	for _, c := range cases {
		got, err := crashSeed(c.flag, env(c.env), clock)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, got, c.name)
	}
	_, err := crashSeed("", env("x"), clock)
	assert.Error(t, err)
}
