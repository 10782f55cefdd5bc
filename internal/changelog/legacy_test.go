package changelog

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/signing"
)

const legacyTarget = "root:/srv/rootfs"

// legacyLog copies the log written by the pre-envelope code
// (testdata/legacy) and returns it with the key that signed it.
func legacyLog(t *testing.T) (*Log, signing.Keyring) {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir("testdata/legacy")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata/legacy", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600)
	}
	keys, err := signing.LoadKeyring(dir)
	if err != nil || len(keys) != 1 {
		t.Fatalf("legacy keyring: %v %v", keys, err)
	}
	l := newLog(t, nil)
	l.Dir, l.Target = dir, legacyTarget
	return l, keys
}

// legacyLine signs an entry payload the way the pre-envelope code did.
func legacyLine(t *testing.T, payload string, k *signing.Key) string {
	t.Helper()
	var e Entry
	if err := json.Unmarshal([]byte(payload), &e); err != nil {
		t.Fatal(err)
	}
	e.KeyID = k.ID()
	raw, _ := json.Marshal(e)
	e.Hash, _ = entryHash(raw)
	e.Sig = base64.StdEncoding.EncodeToString(k.Sign([]byte(entrySigPrefix + e.Hash)))
	raw, _ = json.Marshal(e)
	c, _ := canonical(raw, "format", "cosigners")
	return string(c) + "\n"
}

func TestLegacyLogVerifies(t *testing.T) {
	l, keys := legacyLog(t)
	s, err := l.Verify(keys)
	if err != nil || s.Entries != 3 || s.HeadSeq != 3 {
		t.Fatalf("Verify = %+v, %v", s, err)
	}
	f, _ := os.Open(l.Path())
	defer f.Close()
	es, err := Entries(f)
	if err != nil || len(es) != 3 || es[1].Reason != "harden <sshd> & co, naïve ünïcode" || es[0].Format != FormatLegacy {
		t.Fatalf("Entries = %+v, %v", es, err)
	}
	// An edit to a legacy entry is still caught by its hash.
	ls := readLines(t, l.Path())
	ls[1] = strings.Replace(ls[1], `"CHG-1"`, `"CHG-2"`, 1)
	writeLines(t, l.Path(), ls)
	var p *Problem
	if _, err := l.Verify(keys); !errors.As(err, &p) || p.Kind != KindHash || p.Seq != 2 {
		t.Fatalf("edited legacy entry: %v", err)
	}
}

// Old entries then new ones: the chain continues across the format
// change, signed by a newer key while the old one stays trusted.
func TestMixedLogVerifies(t *testing.T) {
	l, keys := legacyLog(t)
	k := testKey(t)
	l.Signer, l.Keys = k, keys
	es := appendN(t, l, 2)
	keys.Add(k.Public())
	s, err := l.Verify(keys)
	if err != nil || s.Entries != 5 || s.HeadSeq != 5 {
		t.Fatalf("Verify = %+v, %v", s, err)
	}
	f, _ := os.Open(l.Path())
	defer f.Close()
	all, err := Entries(f)
	if err != nil || len(all) != 5 {
		t.Fatal(err)
	}
	if all[2].Format != FormatLegacy || all[3].Format != FormatDSSE || es[0].PrevHash != all[2].Hash || all[3].Hash != es[0].Hash {
		t.Fatalf("chain across formats: %+v", all)
	}
	h, err := ReadHead(l.HeadPath())
	if err != nil || h.env == nil || h.Seq != 5 {
		t.Fatalf("head %+v, %v", h, err)
	}
	// Without the old key the legacy entries no longer verify.
	only := keyring(k)
	var p *Problem
	if _, err := l.Verify(only); !errors.As(err, &p) || p.Kind != KindUnknownKey || p.Seq != 1 {
		t.Fatalf("without the old key: %v", err)
	}
	// Appending again builds on the envelope head.
	if _, err := l.Append(context.Background(), Entry{Action: ActionNote}); err != nil {
		t.Fatal(err)
	}
}
