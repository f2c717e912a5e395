//go:build !unix

package disk

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir opens the LOCK file without locking it: this platform has no
// flock, so a second Open of the same directory is not refused.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return f, nil
}

func unlockDir(f *os.File) error { return f.Close() }
