package disk

import (
	"errors"
	"strconv"
)

// buntdb's file format, which every file we write follows: an append-only
// sequence of RESP commands. We only ever write
//
//	*3\r\n$3\r\nset\r\n$<len>\r\n<key>\r\n$<len>\r\n<value>\r\n
//
// and read files ourselves rather than through buntdb.Open, because buntdb
// keeps every value in memory, refuses a zero-padded tail with ErrInvalid
// (and counts the skipped zero bytes wrongly, so it would then write over
// good records), and allocates whatever length a damaged header claims.

const aofSetHead = "*3\r\n$3\r\nset\r\n"

// maxAOFLength bounds one key or value: a damaged length is refused, not
// allocated.
const maxAOFLength = 1 << 30

// appendSetCommand appends buntdb's command setting key to val.
func appendSetCommand(dst []byte, key string, val []byte) []byte {
	dst = append(dst, aofSetHead...)
	dst = appendBulk(dst, len(key))
	dst = append(dst, key...)
	dst = append(dst, '\r', '\n')
	dst = appendBulk(dst, len(val))
	dst = append(dst, val...)
	return append(dst, '\r', '\n')
}

func appendBulk(dst []byte, n int) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// setCommandSize is the length of appendSetCommand's output.
func setCommandSize(keyLen, valLen int) int {
	digits := func(n int) int { return len(strconv.Itoa(n)) }
	return len(aofSetHead) + 1 + digits(keyLen) + 2 + keyLen + 2 + 1 + digits(valLen) + 2 + valLen + 2
}

// errAOFShort means the bytes end inside a command: they are a proper
// prefix of a well-formed command.
var errAOFShort = errors.New("command ends early")

// aofSyntaxError is a byte that no well-formed command has there.
type aofSyntaxError struct{ at int }

func (e *aofSyntaxError) Error() string { return "unexpected byte at offset " + strconv.Itoa(e.at) }

// parseSetCommand parses the command at the start of b, returning its key
// and value (sharing b's memory) and its length. On failure it returns
// errAOFShort or an *aofSyntaxError whose offset is relative to b.
func parseSetCommand(b []byte) (key, val []byte, n int, err error) {
	p := 0
	lit := func(s string) error {
		for i := 0; i < len(s); i++ {
			if p >= len(b) {
				return errAOFShort
			}
			if b[p] != s[i] {
				return &aofSyntaxError{at: p}
			}
			p++
		}
		return nil
	}
	bulk := func() ([]byte, error) {
		if err := lit("$"); err != nil {
			return nil, err
		}
		size, digits := 0, 0
		for {
			if p >= len(b) {
				return nil, errAOFShort
			}
			c := b[p]
			if c == '\r' && digits > 0 {
				break
			}
			if c < '0' || c > '9' || digits > 0 && size == 0 || size > maxAOFLength/10 {
				return nil, &aofSyntaxError{at: p}
			}
			size = size*10 + int(c-'0')
			digits++
			p++
		}
		if size > maxAOFLength {
			return nil, &aofSyntaxError{at: p - 1}
		}
		if err := lit("\r\n"); err != nil {
			return nil, err
		}
		if len(b)-p < size {
			return nil, errAOFShort
		}
		data := b[p : p+size]
		p += size
		if err := lit("\r\n"); err != nil {
			return nil, err
		}
		return data, nil
	}
	if err = lit(aofSetHead); err != nil {
		return nil, nil, 0, err
	}
	if key, err = bulk(); err != nil {
		return nil, nil, 0, err
	}
	if val, err = bulk(); err != nil {
		return nil, nil, 0, err
	}
	return key, val, p, nil
}

// aofRecord is one set command of a file: where it starts and ends.
type aofRecord struct {
	key, val   []byte
	start, end int
}

// aofTail says what follows the last whole command of a file.
type aofTail int

const (
	tailClean   aofTail = iota // nothing
	tailCrash                  // zeros, or the start of a command cut short, then zeros
	tailGarbage                // anything else
)

// scanAOF cuts b into its whole commands and classifies what follows them:
// the crash tail of a write that did not finish, or garbage.
func scanAOF(b []byte) ([]aofRecord, int, aofTail) {
	var recs []aofRecord
	off := 0
	for off < len(b) {
		key, val, n, err := parseSetCommand(b[off:])
		if err == nil {
			recs = append(recs, aofRecord{key: key, val: val, start: off, end: off + n})
			off += n
			continue
		}
		var syn *aofSyntaxError
		if errors.As(err, &syn) && !allZero(b[off+syn.at:]) {
			return recs, off, tailGarbage
		}
		return recs, off, tailCrash
	}
	return recs, off, tailClean
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
