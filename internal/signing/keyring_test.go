package signing

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRotate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if _, _, err := Rotate(dir, now, func(_, _ *Key) error { return nil }); !errors.Is(err, ErrNoKeyToRotate) {
		t.Fatalf("rotate without a key: %v", err)
	}
	first, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A failing record leaves the old key active.
	boom := errors.New("log damaged")
	if _, _, err := Rotate(dir, now, func(_, _ *Key) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Rotate = %v", err)
	}
	if ActiveID(dir) != first.ID() {
		t.Fatal("failed rotation switched keys")
	}
	if _, err := os.Stat(filepath.Join(dir, nextFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("staged key left behind: %v", err)
	}
	var seenOld, seenNew string
	old, next, err := Rotate(dir, now, func(o, n *Key) error {
		seenOld, seenNew = o.ID(), n.ID()
		// Both public keys are trusted before the record is written.
		ring, err := LoadKeyring(dir)
		if err != nil || ring[o.ID()] == nil || ring[n.ID()] == nil {
			t.Errorf("keyring during record: %v %v", ring.IDs(), err)
		}
		return nil
	})
	if err != nil || old.ID() != first.ID() || seenOld != old.ID() || seenNew != next.ID() {
		t.Fatalf("Rotate = %v", err)
	}
	k, err := LoadOrCreate(dir)
	if err != nil || k.ID() != next.ID() || ActiveID(dir) != next.ID() {
		t.Fatalf("active key after rotation: %v", err)
	}
	keys, err := ListKeys(dir)
	if err != nil || len(keys) != 3 {
		t.Fatalf("ListKeys = %+v, %v", keys, err)
	}
	if keys[0].ID != next.ID() || keys[0].Status != StatusActive || !keys[0].Created.Equal(now) ||
		keys[1].Status != StatusRetired || keys[2].Status != StatusRetired || keys[1].ID != old.ID() && keys[2].ID != old.ID() {
		t.Fatalf("ListKeys = %+v", keys)
	}
	for _, id := range []string{"", old.ID()} {
		b, err := ExportPublic(dir, id)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := ParsePublic("x", b)
		if want := map[string]string{"": next.ID(), old.ID(): old.ID()}[id]; KeyID(pub) != want {
			t.Errorf("export %q gave %s", id, KeyID(pub))
		}
	}
	if _, err := ExportPublic(dir, "ffffffffffffffff"); err == nil {
		t.Error("unknown key exported")
	}
}
