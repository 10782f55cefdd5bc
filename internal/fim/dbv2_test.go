package fim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/cradle-cra/cradle/internal/envelope"
)

func strp(s string) *string { return &s }

// fullEntries use every field, in every form the format distinguishes.
func fullEntries() []*Entry {
	d := strings.Repeat("0123456789abcdef", 4)
	return []*Entry{
		{Path: "/", Type: TypeDir, Mode: 0o755, Mtime: -5, Links: 20},
		{Path: "/a\xff", Type: TypeSymlink, Size: 3, Target: "b\xfe", OwnerName: "root", GroupName: "root"},
		{Path: "/etc", Type: TypeDir, Mode: 0o1777, UID: 1 << 31, GID: 7, Xattrs: map[string]string{}, ACL: strp(""), SELinux: strp("")},
		{Path: "/etc/f", Type: TypeFile, Mode: 0o4755, Size: 1 << 40, Mtime: 1, Ctime: 2, Inode: 1 << 60, Links: 1,
			SHA256: d, SHA512: d + d, BLAKE3: d, OwnerName: "root", GroupName: "adm",
			Xattrs: map[string]string{"user.a": d, "user.b": ""}, ACL: strp("u::rw-,u:1000:r--"), SELinux: strp("system_u:object_r:etc_t:s0")},
		{Path: "/etc/g", Type: TypeFile, SHA256: strings.ToUpper(d), SHA512: "-", BLAKE3: "xyz", Unstable: true},
		{Path: "/etc/g2", Type: TypeFile, Error: "open /etc/g2: permission denied", OwnerName: "adm"},
		{Path: "/fifo", Type: TypeFIFO}, {Path: "/sock", Type: TypeSocket}, {Path: "/tty", Type: TypeChar},
		{Path: "/x", Type: TypeBlock}, {Path: "/y", Type: TypeOther},
	}
}

// TestDBv2RoundTrip: every field comes back exactly, including values
// that are not lowercase hex digests and names that are not UTF-8.
func TestDBv2RoundTrip(t *testing.T) {
	es := fullEntries()
	data, _, err := Encode(Header{Target: "root:/"}, es, fixedKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("cradle-fim-db 2\n")) {
		t.Fatalf("magic %q", data[:16])
	}
	db, err := Decode(data, ring(fixedKey.(keyT)))
	if err != nil {
		t.Fatal(err)
	}
	if db.Header.Format != 2 || db.Header.Compression != "none" {
		t.Errorf("header %+v", db.Header)
	}
	if !reflect.DeepEqual(db.Entries, es) {
		for i := range es {
			if !reflect.DeepEqual(db.Entries[i], es[i]) {
				t.Errorf("entry %d:\n got %+v\nwant %+v", i, db.Entries[i], es[i])
			}
		}
	}
	// Names are interned: one string for every "root".
	if db.Entries[1].OwnerName != "root" || db.Entries[3].OwnerName != "root" {
		t.Error("names")
	}
}

// encodeV1 writes a format 1 database, as the previous version did.
func encodeV1(t *testing.T, h Header, entries []*Entry) []byte {
	t.Helper()
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	sum := sha256.Sum256(body.Bytes())
	h.Format, h.Compression, h.Entries = 1, "gzip", len(entries)
	h.BodySize, h.BodySHA256 = int64(body.Len()), hex.EncodeToString(sum[:])
	payload, _ := json.Marshal(h)
	env, err := envelope.Sign(envelope.TypeIntegrityDB, payload, fixedKey)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := envelope.Marshal(env)
	out := append([]byte(magicV1), line...)
	out = append(out, '\n')
	return append(out, body.Bytes()...)
}

// TestDBv1StillRead: a database written by the previous version is read
// and verified as before, and its header cannot be passed off as
// format 2 (or the reverse).
func TestDBv1StillRead(t *testing.T) {
	es := fullEntries()
	keys := ring(fixedKey.(keyT))
	v1 := encodeV1(t, Header{Target: "root:/", Seq: 3}, es)
	db, err := Decode(v1, keys)
	if err != nil {
		t.Fatal(err)
	}
	if db.Header.Format != 1 || !reflect.DeepEqual(db.Entries, es) {
		t.Errorf("format 1: header %+v, %d entries", db.Header, len(db.Entries))
	}
	for i := range v1[:len(v1)/2] {
		b := bytes.Clone(v1)
		b[i] ^= 0x10
		if db, err := Decode(b, keys); err == nil && (db.Header.Seq != 3 || len(db.Entries) != len(es)) {
			t.Fatalf("flip at %d accepted with other content", i)
		} else if err != nil && !errors.Is(err, ErrTampered) {
			t.Fatalf("flip at %d: %v", i, err)
		}
	}
	// The magic line is not covered by the signature: swapping it must
	// still be refused through the signed format.
	swapped := append([]byte(Magic), v1[len(magicV1):]...)
	if _, err := Decode(swapped, keys); !errors.Is(err, ErrTampered) {
		t.Errorf("format 1 body under the format 2 magic: %v", err)
	}
	v2, _, _ := Encode(Header{Target: "root:/"}, es, fixedKey)
	swapped = append([]byte(magicV1), v2[len(Magic):]...)
	if _, err := Decode(swapped, keys); !errors.Is(err, ErrTampered) {
		t.Errorf("format 2 body under the format 1 magic: %v", err)
	}
}

// TestDBv2Tampering: every byte of a database using every field,
// flipped or cut, is refused.
func TestDBv2Tampering(t *testing.T) {
	data, _, err := Encode(Header{Target: "root:/", Seq: 9}, fullEntries(), fixedKey)
	if err != nil {
		t.Fatal(err)
	}
	keys := ring(fixedKey.(keyT))
	nl := bytes.IndexByte(data[len(Magic):], '\n') + len(Magic) + 1
	for i := nl; i < len(data); i++ {
		b := bytes.Clone(data)
		b[i] ^= 0x80
		if _, err := Decode(b, keys); !errors.Is(err, ErrTampered) {
			t.Fatalf("flip at %d: %v", i, err)
		}
	}
	for n := nl; n < len(data); n++ {
		if _, err := Decode(data[:n], keys); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
}

// TestDBv2Malformed: bodies a stolen key could sign are refused with a
// reason, never a panic.
func TestDBv2Malformed(t *testing.T) {
	good := func() []byte {
		var b bytes.Buffer
		w := newV2Writer(&b)
		for _, e := range fullEntries() {
			if err := w.write(e); err != nil {
				t.Fatal(err)
			}
		}
		return b.Bytes()
	}()
	n := len(fullEntries())
	if _, err := decodeBodyV2(good, n); err != nil {
		t.Fatal(err)
	}
	frame := func(rec ...byte) []byte { return append([]byte{byte(len(rec))}, rec...) }
	for name, tc := range map[string]struct {
		body []byte
		n    int
		want string
	}{
		"fewer":       {good, n + 1, "unexpected EOF"},
		"more":        {good, n - 1, "more than"},
		"huge record": {[]byte{0xff, 0xff, 0x7f}, 1, "exceeds"},
		"relative":    {frame(0, 1, 'a', 0, 0, 0, 0, 0, 0, 0), 1, "bad path"},
		"bad type":    {frame(0, 1, '/', 9, 0, 0, 0, 0, 0, 0), 1, "bad type"},
		"bad flags":   {frame(0, 1, '/', 0, 0x80, 0x80, 0x10, 0, 0, 0, 0, 0), 1, "bad flags"},
		"trailing":    {frame(0, 1, '/', 0, 0, 0, 0, 0, 0, 0, 0), 1, "trailing"},
		"short":       {frame(0, 1, '/', 0, 0, 0), 1, "bad"},
		"big uid":     {frame(0, 1, '/', 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0), 1, "bad uid"},
		"empty error": {frame(0, 1, '/', 0, 0x80, 0x80, 0x02, 0, 0, 0, 0, 0, 0), 1, "empty optional"},
		"name index":  {frame(0, 1, '/', 0, 0x80, 0x08, 0, 0, 0, 0, 0, 5), 1, "owner name"},
		"unordered":   {append(frame(0, 2, '/', 'b', 0, 0, 0, 0, 0, 0, 0), frame(1, 1, 'a', 0, 0, 0, 0, 0, 0, 0)...), 2, "out of order"},
		"same path":   {append(frame(0, 1, '/', 0, 0, 0, 0, 0, 0, 0), frame(1, 0, 0, 0, 0, 0, 0, 0, 0)...), 2, "bad path"},
		"shared >":    {frame(3, 1, '/', 0, 0, 0, 0, 0, 0, 0), 1, "bad path"},
		"unclean":     {frame(0, 3, '/', 'a', '/', 0, 0, 0, 0, 0, 0, 0), 1, "bad path"},
	} {
		if _, err := decodeBodyV2(tc.body, tc.n); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// decodeBodyV2 decodes a whole format 2 body (the fuzz target).
func decodeBodyV2(body []byte, want int) ([]*Entry, error) {
	var out []*Entry
	err := decodeV2(bytes.NewReader(body), want, false, func(e *Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// FuzzDecodeBodyV2: the format 2 body parser behind the signature, fed
// directly: any bytes give entries or an error, never a panic, and
// accepted entries encode and decode back to themselves.
func FuzzDecodeBodyV2(f *testing.F) {
	var b bytes.Buffer
	w := newV2Writer(&b)
	for _, e := range fullEntries() {
		w.write(e)
	}
	f.Add(b.Bytes(), len(fullEntries()))
	f.Add([]byte{7, 0, 1, '/', 0, 0, 0, 0, 0, 0}, 1)
	f.Fuzz(func(t *testing.T, body []byte, n int) {
		if n < 0 || n > 1000 {
			return
		}
		es, err := decodeBodyV2(body, n)
		if err != nil {
			return
		}
		if len(es) != n {
			t.Fatalf("%d entries, want %d", len(es), n)
		}
		var again bytes.Buffer
		w := newV2Writer(&again)
		for _, e := range es {
			if err := w.write(e); err != nil {
				t.Fatalf("accepted entry does not encode: %v", err)
			}
		}
		back, err := decodeBodyV2(again.Bytes(), n)
		if err != nil || !reflect.DeepEqual(back, es) {
			t.Fatalf("accepted entries do not round-trip: %v", err)
		}
	})
}
