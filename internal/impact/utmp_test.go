package impact

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// utmpRec builds one struct utmp as glibc writes it on x86_64 (order
// little-endian) or s390x (big-endian).
func utmpRec(order binary.ByteOrder, typ int16, line, user, host string, tm time.Time, addr string) []byte {
	b := make([]byte, UtmpSize)
	order.PutUint16(b[0:], uint16(typ))
	order.PutUint32(b[4:], 4242)
	copy(b[8:40], line)
	copy(b[40:44], strings.TrimPrefix(line, "pts/"))
	copy(b[44:76], user)
	copy(b[76:332], host)
	order.PutUint32(b[340:], uint32(tm.Unix()))
	order.PutUint32(b[344:], 123456)
	if addr != "" {
		a := netip.MustParseAddr(addr)
		if a.Is4() {
			a4 := a.As4()
			copy(b[348:], a4[:])
		} else {
			a16 := a.As16()
			copy(b[348:], a16[:])
		}
	}
	return b
}

// lastlogRecs builds a lastlog file with records at the given uids.
func lastlogRecs(recs map[uint32]struct {
	tm         time.Time
	line, host string
}) []byte {
	var top uint32
	for uid := range recs {
		top = max(top, uid)
	}
	b := make([]byte, (int(top)+1)*LastlogSize)
	for uid, r := range recs {
		o := int(uid) * LastlogSize
		binary.LittleEndian.PutUint32(b[o:], uint32(r.tm.Unix()))
		copy(b[o+4:o+36], r.line)
		copy(b[o+36:o+292], r.host)
	}
	return b
}

func cat(bs ...[]byte) string { return string(bytes.Join(bs, nil)) }

func TestLoginRecords(t *testing.T) {
	le := binary.LittleEndian
	day := func(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }
	wtmp := cat(
		utmpRec(le, 2, "~", "reboot", "6.1.0-18-amd64", day(40), ""),
		utmpRec(le, utUserProcess, "pts/0", "root", "203.0.113.40", day(35), "203.0.113.40"), // before the window
		utmpRec(le, 2, "~", "reboot", "6.1.0-18-amd64", day(12), ""),
		utmpRec(le, utLoginProcess, "tty1", "LOGIN", "", day(12), ""),
		utmpRec(le, utUserProcess, "tty1", "carol", "", day(10), ""),
		utmpRec(le, 8, "tty1", "", "", day(10).Add(time.Hour), ""),
		utmpRec(le, utUserProcess, "pts/1", "root", "192.0.2.50", day(3), "192.0.2.50"),
		utmpRec(le, utUserProcess, "pts/2", "alice", "2001:db8::5", time.Date(2024, 1, 18, 7, 45, 19, 0, time.UTC), "2001:db8::5"),
		utmpRec(le, utUserProcess, ":0", "alice", ":0", day(1), ""),
	) + "partial record"
	lastlog := lastlogRecs(map[uint32]struct {
		tm         time.Time
		line, host string
	}{
		0:    {day(3), "pts/1", "192.0.2.50"},
		1001: {day(200), "pts/4", "198.51.100.23"},
		1002: {day(10), "tty1", ""},
	})
	authLog := "2024-01-18T07:45:19.300012+00:00 web1 sshd[3012]: Accepted publickey for alice from 2001:db8::5 port 61000 ssh2\n"
	tree := func(extra map[string]string) *Signals {
		files := map[string]string{"var/log/wtmp": wtmp, "var/log/lastlog": string(lastlog), "var/log/auth.log": authLog}
		for k, v := range extra {
			files[k] = v
		}
		return collect(t, logTree(t, files, nil))
	}
	s := tree(nil)

	t.Run("remote sessions join the SSH logins", func(t *testing.T) {
		wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "no"}), remedy.ImpactObserved,
			"root logged in over SSH once (wtmp), last 2024-01-17 12:00 UTC from 192.0.2.50 (/var/log/wtmp)")
	})
	t.Run("keys stay allowed: a wtmp session is no password login", func(t *testing.T) {
		wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Value: "prohibit-password"}), remedy.ImpactNone)
	})
	t.Run("the auth log's login is not counted twice", func(t *testing.T) {
		got := assess(s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "alice", Value: "shell /usr/sbin/nologin"})
		wantImpact(t, got, remedy.ImpactObserved, "alice logged in over SSH once (publickey)")
	})
	t.Run("minimum password age does not affect logins", func(t *testing.T) {
		wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "alice", Value: "password_min_days 1"}), remedy.ImpactNone,
			"password_min_days 1 for alice changes neither whether it can log in nor its shell")
	})
	t.Run("console session of an account", func(t *testing.T) {
		wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "carol", Value: "password_max_days 90"}), remedy.ImpactObserved,
			"carol logged in on a local terminal once, last 2024-01-10 12:00 UTC on tty1 (/var/log/wtmp)")
	})
	t.Run("lastlog outside the window is named", func(t *testing.T) {
		wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "bob", Value: "password locked"}), remedy.ImpactNone,
			"last login of bob per /var/log/lastlog: 2023-07-04 12:00 UTC from 198.51.100.23")
	})
	t.Run("sources", func(t *testing.T) {
		want := map[string]string{"wtmp": SourceRead, "btmp": SourceMissing, "lastlog": SourceRead}
		for name, st := range want {
			if got := s.sourceStatus(name); got.Status != st {
				t.Errorf("%s: %+v, want %s", name, got, st)
			}
		}
	})
	t.Run("rotated wtmp, big-endian, btmp", func(t *testing.T) {
		be := binary.BigEndian
		s := tree(map[string]string{
			"var/log/wtmp":   cat(utmpRec(le, utUserProcess, "pts/0", "dave", "198.51.100.9", day(2), "")),
			"var/log/wtmp.1": cat(utmpRec(be, utUserProcess, "pts/0", "erin", "198.51.100.10", day(20), "")),
			"var/log/btmp":   cat(utmpRec(le, utLoginProcess, "ssh:notty", "admin", "203.0.113.99", day(1), ""), utmpRec(le, utLoginProcess, "ssh:notty", "root", "203.0.113.99", day(1), "")),
		})
		wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "erin"}), remedy.ImpactObserved, "from 198.51.100.10")
		wantImpact(t, assess(s, remedy.Effect{Kind: remedy.EffectAccountChange, Subject: "dave"}), remedy.ImpactObserved, "dave logged in over SSH once (wtmp)")
		if s.FailedLogins != 2 || s.sourceStatus("btmp").Status != SourceRead {
			t.Errorf("btmp: %d failed, %+v", s.FailedLogins, s.sourceStatus("btmp"))
		}
	})
}

// TestWtmpBackwardStops reads a large wtmp whose old part is before the
// window: the read stops at the window, and a wtmp over the byte bound
// is partial, never complete.
func TestWtmpBackwardStops(t *testing.T) {
	le := binary.LittleEndian
	var b bytes.Buffer
	for i := range 3000 {
		b.Write(utmpRec(le, utUserProcess, "pts/0", "old", "192.0.2.1", now.Add(-90*24*time.Hour+time.Duration(i)*time.Minute), ""))
	}
	for i := range 300 {
		b.Write(utmpRec(le, utUserProcess, "pts/0", "new", "192.0.2.2", now.Add(-48*time.Hour+time.Duration(i)*time.Minute), ""))
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "wtmp")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var seen, old int
	start := now.Add(-30 * 24 * time.Hour)
	err = readUtmpBackward(f, int64(b.Len()/UtmpSize), func(rec []byte) bool {
		seen++
		r, _ := ParseUtmp(rec, le)
		if r.Time.Before(start) {
			old++
			return false
		}
		return true
	})
	if err != nil || seen != 300+oldLinesToStop || old != oldLinesToStop {
		t.Errorf("read %d records (%d old), err %v", seen, old, err)
	}
}

func FuzzParseUtmp(f *testing.F) {
	le := binary.LittleEndian
	f.Add(utmpRec(le, utUserProcess, "pts/0", "root", "192.0.2.50", now, "192.0.2.50"))
	f.Add(utmpRec(binary.BigEndian, utUserProcess, "tty1", "carol", "", now, ""))
	f.Add(utmpRec(le, utUserProcess, "pts/1", "alice", "host.example", now, "2001:db8::5"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, order := range []binary.ByteOrder{utmpOrder(b), binary.LittleEndian, binary.BigEndian} {
			r, ok := ParseUtmp(b, order)
			if !ok {
				continue
			}
			if len(r.User) > 32 || len(r.Line) > 32*3 || strings.ContainsAny(r.User+r.Host+r.Line, "\x00\n") {
				t.Fatalf("record %+v", r)
			}
			if l, _, ok := utmpLogin(r, "/var/log/wtmp"); ok && (l.User == "" || l.Method != "wtmp") {
				t.Fatalf("login %+v", l)
			}
		}
		if r, ok := ParseLastlog(b, binary.LittleEndian); ok && strings.ContainsAny(r.Host+r.Line, "\x00\n") {
			t.Fatalf("lastlog %+v", r)
		}
	})
}

// FuzzReadUtmpBackward reads any file as wtmp: every record handed out is
// whole and the read ends.
func FuzzReadUtmpBackward(f *testing.F) {
	f.Add(cat(utmpRec(binary.LittleEndian, utUserProcess, "pts/0", "root", "192.0.2.50", now, ""), utmpRec(binary.LittleEndian, 8, "pts/0", "", "", now, ""))+"tail", 1)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, b string, stopAfter int) {
		n := int64(len(b) / UtmpSize)
		seen := 0
		err := readUtmpBackward(strings.NewReader(b), n, func(rec []byte) bool {
			if len(rec) != UtmpSize {
				t.Fatalf("record of %d bytes", len(rec))
			}
			seen++
			_, _ = ParseUtmp(rec, utmpOrder(rec))
			return seen < stopAfter
		})
		if err != nil || int64(seen) > n {
			t.Fatalf("%d records of %d, err %v", seen, n, err)
		}
	})
}
