package sdjournal

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// FuzzJournalFile feeds damaged journal files to the reader: every entry
// path (the global entry arrays, the field index with matches, a time
// window) must end with entries or an error within the limits, never a
// panic or a loop. Seeds are the real files of testdata, cut short to
// keep the fuzzer fast, plus one file re-encoded per compression.
func FuzzJournalFile(f *testing.F) {
	for _, name := range []string{"compact-active.journal", "regular-active.journal"} {
		b := testFile(f, name)
		f.Add(b[:min(len(b), 48<<10)], uint8(0))
		f.Add(b[:min(len(b), 48<<10)], uint8(1))
	}
	plain := testFile(f, "plain-active.journal")
	for _, algo := range []string{"lz4", "xz", "zstd"} {
		b := transcode(f, plain, algo)
		f.Add(b[:min(len(b), 48<<10)], uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		rd := NewReader(Limits{Bytes: 8 << 20, Objects: 1 << 16, Entries: 1000, FieldSize: 4096})
		defer rd.Close()
		jf, err := rd.Open(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		var q Query
		switch mode % 3 {
		case 1:
			q = Query{Match: []Match{{"SYSLOG_IDENTIFIER", "sshd"}, {"_COMM", "sudo"}}, Fields: []string{"MESSAGE"}}
		case 2:
			q = Query{Since: time.UnixMicro(int64(jf.Header.HeadRealtime) + 1000), Fields: []string{"MESSAGE", "LARGE"}}
		}
		n := 0
		jf.Entries(context.Background(), q, func(e Entry) error {
			n++
			for _, vs := range e.Fields {
				for _, v := range vs {
					if len(v) > 4096 {
						t.Fatalf("field of %d bytes over the limit", len(v))
					}
				}
			}
			return nil
		})
		if n > 1000 {
			t.Fatalf("%d entries over the limit", n)
		}
	})
}
