package changelog

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/signing"
)

func testKey(t testing.TB) *signing.Key {
	t.Helper()
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newLog(t testing.TB, k *signing.Key) *Log {
	t.Helper()
	clock := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	return &Log{
		Dir: filepath.Join(t.TempDir(), "logs"), Target: "root:/srv/rootfs", Signer: k,
		Now:  func() time.Time { clock = clock.Add(time.Second); return clock },
		User: func() OSUser { return OSUser{UID: "1000", Name: "alice"} },
	}
}

func appendN(t testing.TB, l *Log, n int) []Entry {
	t.Helper()
	var out []Entry
	for i := range n {
		e, err := l.Append(context.Background(), Entry{
			Action: ActionApply, Rules: []string{fmt.Sprintf("ssh.rule_%d", i)}, ChangeRef: fmt.Sprintf("CHG-%d", i),
			Reason: "harden <sshd> & co", Actor: Actor{Actor: "ops@example.com"},
			Before:  map[string]string{"/etc/ssh/sshd_config": strings.Repeat("a", 64)},
			After:   map[string]string{"/etc/ssh/sshd_config": strings.Repeat("b", 64)},
			Details: json.RawMessage(`{"run":"r1","ops":3,"big":12345678901234567890,"f":1.50}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func keyring(keys ...*signing.Key) signing.Keyring {
	r := signing.Keyring{}
	for _, k := range keys {
		r.Add(k.Public())
	}
	return r
}

func readLines(t *testing.T, p string) []string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(string(b), "\n")
}

func writeLines(t *testing.T, p string, lines []string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// payloadOf decodes an envelope line's payload.
func payloadOf(t *testing.T, line string) string {
	t.Helper()
	env, err := envelope.Parse([]byte(strings.TrimSuffix(line, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.DecodeB64Payload()
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// editPayload changes an envelope line's payload and keeps its signatures.
func editPayload(t *testing.T, line string, edit func(string) string) string {
	t.Helper()
	env, _ := envelope.Parse([]byte(strings.TrimSuffix(line, "\n")))
	env.Payload = base64.StdEncoding.EncodeToString([]byte(edit(payloadOf(t, line))))
	b, _ := envelope.Marshal(env)
	return string(b) + "\n"
}

// resign signs payload as an entry envelope with key k claiming key id id.
func resign(t *testing.T, payload string, k *signing.Key, id string) string {
	t.Helper()
	env, err := envelope.Sign(envelope.TypeChangeLogEntry, []byte(payload), k)
	if err != nil {
		t.Fatal(err)
	}
	env.Signatures[0].KeyID = id
	b, _ := envelope.Marshal(env)
	return string(b) + "\n"
}

// forgeNext builds the payload of an entry after line (seq+1, chained).
func forgeNext(t *testing.T, line string) string {
	t.Helper()
	e, _, err := parseEntry([]byte(strings.TrimSuffix(line, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	e.Seq, e.PrevHash, e.Reason = e.Seq+1, e.Hash, "forged"
	raw, _ := json.Marshal(e)
	c, _ := canonical(raw, payloadDrop...)
	return string(c)
}

func TestAppendAndVerify(t *testing.T) {
	k := testKey(t)
	l := newLog(t, k)
	es := appendN(t, l, 5)
	for i, e := range es {
		if e.Seq != uint64(i+1) {
			t.Fatalf("seq %d, want %d", e.Seq, i+1)
		}
		if i == 0 && e.PrevHash != GenesisHash || i > 0 && e.PrevHash != es[i-1].Hash {
			t.Fatalf("entry %d not chained", e.Seq)
		}
		if _, err := time.Parse(time.RFC3339, e.Time); err != nil || !strings.HasSuffix(e.Time, "Z") {
			t.Fatalf("time %q not RFC 3339 UTC", e.Time)
		}
	}
	s, err := l.Verify(keyring(k))
	if err != nil {
		t.Fatal(err)
	}
	if s.Entries != 5 || s.LastSeq != 5 || s.HeadSeq != 5 || len(s.Warnings) != 0 {
		t.Fatalf("summary %+v", s)
	}
	f, _ := os.Open(l.Path())
	defer f.Close()
	got, err := Entries(f)
	if err != nil || len(got) != 5 || got[4].Reason != "harden <sshd> & co" || got[2].Actor.OSUser.Name != "alice" {
		t.Fatalf("Entries: %v %+v", err, got)
	}
	// Large numbers in details survive byte-exact (no float round trip).
	if !bytes.Contains(got[0].Details, []byte("12345678901234567890")) || !bytes.Contains(got[0].Details, []byte("1.50")) {
		t.Fatalf("details changed: %s", got[0].Details)
	}
	if fi, err := os.Stat(l.Path()); err == nil && fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("log mode %04o", fi.Mode().Perm())
	}
}

func TestAppendRejects(t *testing.T) {
	k := testKey(t)
	tests := []struct {
		name    string
		require bool
		e       Entry
		want    error
	}{
		{"unknown action", false, Entry{Action: "delete-everything"}, nil},
		{"change ref required", true, Entry{Action: ActionApply}, ErrChangeRefRequired},
		{"details not an object", false, Entry{Action: ActionNote, Details: json.RawMessage(`[1]`)}, nil},
		{"too large", false, Entry{Action: ActionNote, Reason: strings.Repeat("x", MaxEntrySize)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLog(t, k)
			l.RequireChangeRef = tc.require
			_, err := l.Append(context.Background(), tc.e)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Append = %v, want error %v", err, tc.want)
			}
		})
	}
	l := newLog(t, k)
	l.RequireChangeRef = true
	if _, err := l.Append(context.Background(), Entry{Action: ActionApply, ChangeRef: "CHG-1"}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	k := testKey(t)
	other := testKey(t)
	tests := []struct {
		name   string
		tamper func(t *testing.T, l *Log)
		kind   Kind
		seq    uint64 // 0: not tied to an entry
		line   int
		detail string
	}{
		{"edited field", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			ls[2] = editPayload(t, ls[2], func(p string) string { return strings.Replace(p, `"CHG-2"`, `"CHG-9"`, 1) })
			writeLines(t, l.Path(), ls)
		}, KindSignature, 3, 3, "edited"},
		{"added field", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			ls[1] = editPayload(t, ls[1], func(p string) string { return strings.Replace(p, `{"action"`, `{"approved":true,"action"`, 1) })
			writeLines(t, l.Path(), ls)
		}, KindSignature, 2, 2, "edited"},
		{"envelope with an unknown member", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			ls[1] = strings.Replace(ls[1], `"signatures":[`, `"signatures":[],"x":[`, 1)
			writeLines(t, l.Path(), ls)
		}, KindMalformed, 0, 2, "malformed"},
		{"edit signed by another key claiming the real id", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			ls[2] = resign(t, strings.Replace(payloadOf(t, ls[2]), `"CHG-2"`, `"CHG-9"`, 1), other, k.ID())
			writeLines(t, l.Path(), ls)
		}, KindSignature, 3, 3, "does not verify"},
		{"edit re-signed with another key", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			ls[2] = resign(t, strings.Replace(payloadOf(t, ls[2]), `"CHG-2"`, `"CHG-9"`, 1), other, other.ID())
			writeLines(t, l.Path(), ls)
		}, KindUnknownKey, 3, 3, "unknown key"},
		{"middle entry deleted", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			writeLines(t, l.Path(), append(ls[:2:2], ls[3:]...))
		}, KindSequence, 4, 3, "expected entry 3, got 4"},
		{"two entries reordered", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			ls[1], ls[2] = ls[2], ls[1]
			writeLines(t, l.Path(), ls)
		}, KindSequence, 3, 2, "expected entry 2, got 3"},
		{"entry replaced by one from another log", func(t *testing.T, l *Log) {
			o := newLog(t, k)
			o.Target = l.Target
			o.User = func() OSUser { return OSUser{UID: "0", Name: "root"} }
			appendN(t, o, 3)
			ol := readLines(t, o.Path())
			ls := readLines(t, l.Path())
			ls[2] = ol[2]
			writeLines(t, l.Path(), ls)
		}, KindChain, 3, 3, "prev_hash"},
		{"tail truncated", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			writeLines(t, l.Path(), ls[:3])
		}, KindTruncated, 0, 0, "truncated after entry 3: the head records entry 5"},
		{"log emptied", func(t *testing.T, l *Log) {
			writeLines(t, l.Path(), nil)
		}, KindTruncated, 0, 0, "log is empty"},
		{"log deleted", func(t *testing.T, l *Log) {
			os.Remove(l.Path())
		}, KindTruncated, 0, 0, "missing"},
		{"last line cut", func(t *testing.T, l *Log) {
			b, _ := os.ReadFile(l.Path())
			os.WriteFile(l.Path(), b[:len(b)-20], 0o600)
		}, KindTruncated, 0, 5, "cut off"},
		{"garbage line", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			ls[3] = "{not json\n"
			writeLines(t, l.Path(), ls)
		}, KindMalformed, 0, 4, "malformed"},
		{"forged entry appended without the key", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			forged := editPayload(t, ls[4], func(string) string { return forgeNext(t, ls[4]) })
			writeLines(t, l.Path(), append(ls[:5], forged))
		}, KindSignature, 6, 6, "does not verify"},
		{"forged entry appended with own key", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			writeLines(t, l.Path(), append(ls[:5], resign(t, forgeNext(t, ls[4]), other, other.ID())))
		}, KindUnknownKey, 6, 6, "unknown key"},
		{"legacy-format entry appended after envelope entries", func(t *testing.T, l *Log) {
			ls := readLines(t, l.Path())
			writeLines(t, l.Path(), append(ls[:5], legacyLine(t, forgeNext(t, ls[4]), k)))
		}, KindMalformed, 6, 6, "downgraded"},
		{"head file edited", func(t *testing.T, l *Log) {
			b, _ := os.ReadFile(l.HeadPath())
			env, _ := envelope.Parse(b)
			p, _ := env.DecodeB64Payload()
			env.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(p, []byte(`"seq":5`), []byte(`"seq":4`), 1))
			b, _ = json.MarshalIndent(env, "", "  ")
			os.WriteFile(l.HeadPath(), b, 0o600)
		}, KindHead, 0, 0, "head signature does not verify"},
		{"head file deleted", func(t *testing.T, l *Log) {
			os.Remove(l.HeadPath())
		}, KindHead, 0, 0, "head file"},
		{"head file garbage", func(t *testing.T, l *Log) {
			os.WriteFile(l.HeadPath(), []byte("x"), 0o600)
		}, KindHead, 0, 0, "malformed"},
		{"head forged with another key", func(t *testing.T, l *Log) {
			h, _ := ReadHead(l.HeadPath())
			h.Seq = 3
			b, _ := encodeHead(&h, other)
			os.WriteFile(l.HeadPath(), b, 0o600)
		}, KindHead, 0, 0, "unknown key"},
		{"tail rewritten after head", func(t *testing.T, l *Log) {
			// Last entry replaced by a validly signed one: the head's hash
			// no longer matches (an insider with the key but not the head).
			ls := readLines(t, l.Path())
			ls[4] = resign(t, strings.Replace(payloadOf(t, ls[4]), `"harden`, `"soften`, 1), k, k.ID())
			writeLines(t, l.Path(), ls)
		}, KindHead, 5, 0, "does not match the head"},
		{"head replaced by an older one", func(t *testing.T, l *Log) {
			b, _ := os.ReadFile(l.HeadPath() + ".old")
			os.WriteFile(l.HeadPath(), b, 0o600)
		}, KindHead, 0, 0, "older one"},
		{"log and head copied from another target", func(t *testing.T, l *Log) {
			o := newLog(t, k)
			o.Target = "host"
			appendN(t, o, 5)
			b, _ := os.ReadFile(o.Path())
			os.WriteFile(l.Path(), b, 0o600)
			b, _ = os.ReadFile(o.HeadPath())
			os.WriteFile(l.HeadPath(), b, 0o600)
		}, KindHead, 0, 0, "another target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLog(t, k)
			appendN(t, l, 3)
			b, _ := os.ReadFile(l.HeadPath())
			os.WriteFile(l.HeadPath()+".old", b, 0o600)
			appendN(t, l, 2)
			if _, err := l.Verify(keyring(k)); err != nil {
				t.Fatalf("before tampering: %v", err)
			}
			tc.tamper(t, l)
			_, err := l.Verify(keyring(k))
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("Verify = %v, want a *Problem", err)
			}
			if p.Kind != tc.kind || p.Seq != tc.seq || p.Line != tc.line || !strings.Contains(p.Error(), tc.detail) {
				t.Fatalf("problem %q (kind %s seq %d line %d), want kind %s seq %d line %d containing %q",
					p.Error(), p.Kind, p.Seq, p.Line, tc.kind, tc.seq, tc.line, tc.detail)
			}
			// Append must refuse to build on a tampered log rather than
			// launder it with a fresh head. Edits before the last entry are
			// left for Verify (Append only reads the tail).
			if tc.seq == 0 || tc.seq >= 5 {
				if _, err := l.Append(context.Background(), Entry{Action: ActionNote}); err == nil && tc.kind != KindMalformed {
					t.Fatalf("Append on a tampered log succeeded")
				}
			}
		})
	}
}

func TestVerifyNoLog(t *testing.T) {
	l := newLog(t, testKey(t))
	if _, err := l.Verify(signing.Keyring{}); !errors.Is(err, ErrNoLog) {
		t.Fatalf("Verify = %v, want ErrNoLog", err)
	}
}

func TestHeadLagIsWarning(t *testing.T) {
	k := testKey(t)
	l := newLog(t, k)
	appendN(t, l, 3)
	old, _ := os.ReadFile(l.HeadPath())
	appendN(t, l, 1)
	os.WriteFile(l.HeadPath(), old, 0o600) // as if the 4th append stopped before its head write
	s, err := l.Verify(keyring(k))
	if err != nil || len(s.Warnings) != 1 || s.HeadSeq != 3 || s.LastSeq != 4 {
		t.Fatalf("Verify = %+v, %v", s, err)
	}
	// The next append heals the head.
	appendN(t, l, 1)
	if s, err := l.Verify(keyring(k)); err != nil || len(s.Warnings) != 0 || s.HeadSeq != 5 {
		t.Fatalf("after append: %+v, %v", s, err)
	}
}

func TestInterruptedAppendIsCut(t *testing.T) {
	k := testKey(t)
	l := newLog(t, k)
	appendN(t, l, 2)
	f, _ := os.OpenFile(l.Path(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"action":"apply","seq":3,"tar`) // torn write; head still at 2
	f.Close()
	if _, err := l.Verify(keyring(k)); err == nil {
		t.Fatal("torn line not reported")
	}
	appendN(t, l, 1)
	s, err := l.Verify(keyring(k))
	if err != nil || s.LastSeq != 3 {
		t.Fatalf("after append: %+v, %v", s, err)
	}
}

func TestConcurrentAppends(t *testing.T) {
	k := testKey(t)
	l := newLog(t, k)
	l.Now = nil // the test clock is not goroutine-safe
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A Log value per appender, as separate processes would have.
			mine := *l
			for i := range each {
				if _, err := mine.Append(context.Background(), Entry{Action: ActionNote, Reason: fmt.Sprintf("w%d-%d", w, i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	s, err := l.Verify(keyring(k))
	if err != nil || s.Entries != workers*each || s.HeadSeq != workers*each {
		t.Fatalf("Verify = %+v, %v", s, err)
	}
}

func FuzzVerify(f *testing.F) {
	k, _ := signing.Generate()
	l := newLog(f, k)
	appendN(f, l, 3)
	b, _ := os.ReadFile(l.Path())
	f.Add(b)
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"seq":1,"hash":"` + strings.Repeat("0", 64) + `"}` + "\n"))
	f.Add([]byte("\n\n"))
	h, _ := ReadHead(l.HeadPath())
	keys := keyring(k)
	f.Fuzz(func(t *testing.T, b []byte) {
		Verify(bytes.NewReader(b), keys, nil)
		Verify(bytes.NewReader(b), keys, &h)
		Entries(bytes.NewReader(b))
	})
}

func TestLoadPolicy(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvRequireChangeRef {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name, file, env string
		want, err       bool
	}{
		{"none", "", "", false, false},
		{"file on", "require_change_ref: true\n", "", true, false},
		{"file off env on", "require_change_ref: false\n", "yes", true, false},
		{"env off cannot weaken", "require_change_ref: true\n", "0", true, false},
		{"empty file", "\n", "", false, false},
		{"unknown key", "require_ticket: true\n", "", false, true},
		{"bad type", "require_change_ref: maybe\n", "", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.file != "" {
				os.WriteFile(filepath.Join(dir, "change-policy.yaml"), []byte(tc.file), 0o600)
			}
			p, err := LoadPolicy(filepath.Join(dir, "change-policy.yaml"), env(tc.env))
			if (err != nil) != tc.err || p.RequireChangeRef != tc.want {
				t.Fatalf("LoadPolicy = %+v, %v", p, err)
			}
		})
	}
}
