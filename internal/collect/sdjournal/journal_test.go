package sdjournal

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"

	"github.com/cradle-cra/cradle/internal/collect/sdjournal/sdjournaltest"
)

// testFiles returns the journal files of testdata (made by
// testdata/mkjournal.sh with systemd-journald 252), decompressed.
func testFiles(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob("testdata/*.gz")
	if err != nil || len(names) == 0 {
		t.Fatalf("no journal files in testdata: %v", err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		name := strings.TrimSuffix(filepath.Base(n), ".gz")
		out[name] = testFile(t, name)
	}
	return out
}

// testFile returns one journal file of testdata, decompressed.
func testFile(t testing.TB, name string) []byte { return sdjournaltest.File(t, name) }

// readAll returns every entry of a journal file, oldest first.
func readAll(t testing.TB, b []byte, q Query) ([]Entry, Stats) {
	t.Helper()
	rd := NewReader(Limits{})
	defer rd.Close()
	f, err := rd.Open(bytes.NewReader(b), int64(len(b)), "test")
	if err != nil {
		t.Fatal(err)
	}
	var es []Entry
	st, err := f.Entries(context.Background(), q, func(e Entry) error {
		es = append(es, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es, st
}

// journalctlEntries runs journalctl --file -o json and returns, per entry,
// the realtime timestamp and the fields as this package reports them.
func journalctlEntries(t *testing.T, path string) []map[string][]string {
	t.Helper()
	out, err := exec.Command("journalctl", "--file="+path, "-o", "json", "--all", "--no-pager").Output()
	if err != nil {
		t.Fatalf("journalctl --file=%s: %v", path, err)
	}
	var res []map[string][]string
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var raw map[string]json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		e := map[string][]string{}
		for k, v := range raw {
			switch k {
			case "__CURSOR", "__MONOTONIC_TIMESTAMP", "__SEQNUM", "__SEQNUM_ID":
				continue
			}
			e[k] = jsonValues(t, v)
		}
		res = append(res, e)
	}
	return res
}

// jsonValues decodes a journalctl JSON value: a string, an array of byte
// values (binary data), or an array of either (a repeated field).
func jsonValues(t *testing.T, v json.RawMessage) []string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return []string{s}
	}
	var bs []byte
	var ints []int
	if json.Unmarshal(v, &ints) == nil {
		for _, i := range ints {
			bs = append(bs, byte(i))
		}
		return []string{string(bs)}
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(v, &arr); err != nil {
		t.Fatalf("journalctl value %s: %v", v, err)
	}
	var out []string
	for _, a := range arr {
		out = append(out, jsonValues(t, a)...)
	}
	return out
}

// asJournalctl puts an entry in the shape of journalctlEntries.
func asJournalctl(e Entry) map[string][]string {
	m := map[string][]string{"__REALTIME_TIMESTAMP": {strconv.FormatUint(e.realtime, 10)}}
	for k, v := range e.Fields {
		m[k] = v
	}
	return m
}

// TestDifferentialJournalctl compares every entry and field of every
// test file, as journald wrote it and with its compressed data
// re-encoded as LZ4 and XZ, with what journalctl itself reads.
func TestDifferentialJournalctl(t *testing.T) {
	if _, err := exec.LookPath("journalctl"); err != nil {
		t.Skip("journalctl not installed")
	}
	dir := t.TempDir()
	for name, b := range testFiles(t) {
		algos := []string{""}
		if strings.HasPrefix(name, "plain") {
			algos = append(algos, "lz4", "xz", "zstd")
		}
		for _, algo := range algos {
			data := b
			if algo != "" {
				data = transcode(t, b, algo)
			}
			t.Run(name+"/"+algo, func(t *testing.T) {
				p := filepath.Join(dir, strings.TrimSuffix(name, "~")+algo+".journal")
				if err := os.WriteFile(p, data, 0o600); err != nil {
					t.Fatal(err)
				}
				want := journalctlEntries(t, p)
				got, _ := readAll(t, data, Query{})
				if len(got) != len(want) {
					t.Fatalf("%d entries, journalctl reads %d", len(got), len(want))
				}
				for i := range got {
					g := asJournalctl(got[i])
					if !reflect.DeepEqual(g, want[i]) {
						t.Fatalf("entry %d differs:\n got %v\nwant %v", i, g, want[i])
					}
				}
			})
		}
	}
}

// transcode compresses the uncompressed data objects of a journal file
// with algo where that makes them smaller, as journald would have, and
// sets the header flag.
func transcode(t testing.TB, b []byte, algo string) []byte {
	t.Helper()
	b = bytes.Clone(b)
	le := binary.LittleEndian
	h, err := parseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	po := uint64(dataPayload)
	if h.Compact() {
		po = dataPayloadCompact
	}
	tail := le.Uint64(b[136:])
	n := 0
	for off := h.HeaderSize; off <= tail && off+16 <= uint64(len(b)); {
		typ, flags, size := b[off], b[off+1], le.Uint64(b[off+8:])
		if size == 0 {
			t.Fatalf("object at %#x of size 0", off)
		}
		if typ == objData && flags == 0 && size-po >= 64 {
			enc, flag := encode(t, b[off+po:off+size], algo)
			if enc != nil && uint64(len(enc)) < size-po {
				copy(b[off+po:], enc)
				clear(b[off+po+uint64(len(enc)) : off+size])
				b[off+1] = flag
				le.PutUint64(b[off+8:], po+uint64(len(enc)))
				n++
			}
		}
		off += (size + 7) &^ 7
	}
	if n == 0 {
		t.Fatalf("no data object re-encoded as %s", algo)
	}
	inc := map[string]uint32{"lz4": incompatLZ4, "xz": incompatXZ, "zstd": incompatZSTD}[algo]
	le.PutUint32(b[12:], le.Uint32(b[12:])|inc)
	return b
}

func encode(t testing.TB, p []byte, algo string) ([]byte, byte) {
	switch algo {
	case "lz4":
		out := make([]byte, 8+lz4.CompressBlockBound(len(p)))
		binary.LittleEndian.PutUint64(out, uint64(len(p)))
		var c lz4.Compressor
		n, err := c.CompressBlock(p, out[8:])
		if err != nil || n == 0 {
			return nil, 0 // incompressible: left as it is
		}
		return out[:8+n], flagLZ4
	case "xz":
		var buf bytes.Buffer
		w, err := xz.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), flagXZ
	case "zstd":
		zw, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithSingleSegment(true)) // journald needs the content size
		if err != nil {
			t.Fatal(err)
		}
		defer zw.Close()
		return zw.EncodeAll(p, nil), flagZSTD
	}
	t.Fatalf("algorithm %q", algo)
	return nil, 0
}

func TestFormats(t *testing.T) {
	files := testFiles(t)
	for name, b := range files {
		h, err := parseHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		wantCompact := !strings.HasPrefix(name, "regular")
		if h.Compact() != wantCompact || (h.Incompatible&incompatKeyedHash != 0) != wantCompact {
			t.Errorf("%s: incompatible flags %#x", name, h.Incompatible)
		}
		if (h.Incompatible&incompatZSTD == 0) != strings.HasPrefix(name, "plain") {
			t.Errorf("%s: no ZSTD data", name)
		}
		if strings.HasSuffix(name, "~") != (h.State == StateOnline) {
			t.Errorf("%s: state %d", name, h.State)
		}
	}
}

// TestMatchUsesIndex: a search for sshd and sudo entries through the
// field index returns the same entries as reading every entry and
// filtering, and reads far fewer objects.
func TestMatchUsesIndex(t *testing.T) {
	q := Query{Match: []Match{{"SYSLOG_IDENTIFIER", "sshd"}, {"SYSLOG_IDENTIFIER", "sudo"}, {"SYSLOG_IDENTIFIER", "sshd-session"}},
		Fields: []string{"MESSAGE", "_PID", "SYSLOG_IDENTIFIER"}}
	for name, b := range testFiles(t) {
		t.Run(name, func(t *testing.T) {
			indexed, st := readAll(t, b, q)
			if st.FullScan || !st.Complete {
				t.Fatalf("stats %+v", st)
			}
			all, _ := readAll(t, b, Query{Fields: q.Fields})
			var want []Entry
			for _, e := range all {
				if matches(e, q.Match) {
					delete(e.Fields, "nothing")
					want = append(want, e)
				}
			}
			if len(indexed) == 0 || len(indexed) != len(want) {
				t.Fatalf("index found %d entries, a full read %d", len(indexed), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(indexed[i].Fields, want[i].Fields) || indexed[i].Seqnum != want[i].Seqnum {
					t.Fatalf("entry %d: %v, want %v", i, indexed[i], want[i])
				}
			}
		})
	}
	b := testFiles(t)["compact-archived1.journal"]
	cost := func(q Query) int64 {
		rd := NewReader(Limits{})
		f, err := rd.Open(bytes.NewReader(b), int64(len(b)), "x")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Entries(context.Background(), q, func(Entry) error { return nil }); err != nil {
			t.Fatal(err)
		}
		return rd.lim.Objects - rd.objectsLeft
	}
	idx, full := cost(q), cost(Query{Fields: q.Fields})
	t.Logf("objects visited: %d through the index, %d reading every entry", idx, full)
	if idx*4 > full {
		t.Errorf("the index visited %d objects, a full read %d", idx, full)
	}
}

// TestWindowStopsEarly: reading newest first stops at the window's start.
func TestWindowStopsEarly(t *testing.T) {
	b := testFiles(t)["regular-archived1.journal"]
	all, _ := readAll(t, b, Query{Fields: []string{"MESSAGE"}})
	cut := all[len(all)-300].Time
	got, st := readAll(t, b, Query{Since: cut, Fields: []string{"MESSAGE"}})
	if !st.Complete {
		t.Fatal("not complete")
	}
	if len(got) != 300 {
		for _, e := range all[len(all)-302 : len(all)-298] {
			t.Log(e.Time, e.Seqnum)
		}
		t.Fatalf("%d entries since %v, want 300", len(got), cut)
	}
	// A window after the file's last entry reads nothing.
	got, st = readAll(t, b, Query{Since: all[len(all)-1].Time.Add(time.Second)})
	if len(got) != 0 || !st.Complete {
		t.Fatalf("%d entries, %+v", len(got), st)
	}
}

func TestLimits(t *testing.T) {
	b := testFiles(t)["compact-archived1.journal"]
	for _, tc := range []struct {
		name string
		lim  Limits
	}{
		{"bytes", Limits{Bytes: 300 << 10}},
		{"objects", Limits{Objects: 500}},
		{"entries", Limits{Entries: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd := NewReader(tc.lim)
			defer rd.Close()
			f, err := rd.Open(bytes.NewReader(b), int64(len(b)), "x")
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			st, err := f.Entries(context.Background(), Query{}, func(Entry) error { n++; return nil })
			if err == nil || !strings.Contains(err.Error(), "budget") || st.Complete {
				t.Fatalf("err %v, stats %+v", err, st)
			}
			if n == 0 {
				t.Fatal("nothing read before the bound")
			}
		})
	}
	// A field over FieldSize is skipped and counted, not returned.
	es, st := readAll(t, testFiles(t)["compact-active.journal"], Query{})
	_ = es
	rd := NewReader(Limits{FieldSize: 1000})
	raw := testFiles(t)["compact-active.journal"]
	f, _ := rd.Open(bytes.NewReader(raw), int64(len(raw)), "x")
	st2, err := f.Entries(context.Background(), Query{Match: []Match{{"SYSLOG_IDENTIFIER", "cradle-test"}}}, func(e Entry) error {
		if _, ok := e.Fields["LARGE"]; ok {
			return fmt.Errorf("LARGE of %d bytes returned", len(e.Get("LARGE")))
		}
		return nil
	})
	if err != nil || st2.Oversized == 0 || st.Oversized != 0 {
		t.Fatalf("err %v, stats %+v / %+v", err, st2, st)
	}
}

// TestDamage: truncation and overwritten bytes give errors or skipped
// entries, never a panic or a hang.
func TestDamage(t *testing.T) {
	b := testFiles(t)["compact-dirty.journal~"]
	for _, cut := range []int{100, 300, 4096, len(b) / 3, len(b) / 2} {
		rd := NewReader(Limits{})
		f, err := rd.Open(bytes.NewReader(b[:cut]), int64(cut), "x")
		if err != nil {
			continue
		}
		if !f.Truncated {
			t.Errorf("cut at %d: not flagged truncated", cut)
		}
		f.Entries(context.Background(), Query{}, func(Entry) error { return nil })
	}
	// Overwrite every 4096th byte range with garbage.
	d := bytes.Clone(b)
	for i := 300; i+8 < len(d); i += 4096 {
		binary.LittleEndian.PutUint64(d[i:], 0xdeadbeefcafef00d)
	}
	rd := NewReader(Limits{})
	f, err := rd.Open(bytes.NewReader(d), int64(len(d)), "x")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	st, _ := f.Entries(context.Background(), Query{}, func(Entry) error { n++; return nil })
	t.Logf("damaged file: %d entries read, %+v", n, st)
}

// TestSortedNewestFirst checks the visiting order and timestamps.
func TestSortedNewestFirst(t *testing.T) {
	es, _ := readAll(t, testFiles(t)["regular-active.journal"], Query{Fields: []string{}})
	if !sort.SliceIsSorted(es, func(i, j int) bool { return es[i].Seqnum < es[j].Seqnum }) {
		t.Fatal("entries out of order")
	}
	if es[0].Time.Year() < 2020 {
		t.Fatalf("time %v", es[0].Time)
	}
}
