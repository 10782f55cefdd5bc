package signing

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// MetaFile records when each key of the keys directory was created and
// retired. It is informational (for `cradle key list`): trust comes from
// the *.pub files alone.
const MetaFile = "keyring.json"

// nextFile is the staged private key of a rotation in progress.
const nextFile = "signing.key.next"

// Key states in KeyInfo.Status.
const (
	StatusActive  = "active"  // signs new entries and snapshots
	StatusRetired = "retired" // replaced by a rotation; still verifies what it signed
	StatusTrusted = "trusted" // a trusted public key cradle did not generate (e.g. --key)
)

// KeyInfo describes one trusted key.
type KeyInfo struct {
	ID      string            `json:"id"`
	Created time.Time         `json:"created"`
	Retired *time.Time        `json:"retired,omitempty"`
	Status  string            `json:"status"`
	Public  ed25519.PublicKey `json:"-"`
}

type keyMeta struct {
	Created time.Time  `json:"created"`
	Retired *time.Time `json:"retired,omitempty"`
}

func readMeta(dir string) map[string]keyMeta {
	m := map[string]keyMeta{}
	if b, err := fileutil.ReadBounded(filepath.Join(dir, MetaFile), maxKeyFile); err == nil {
		json.Unmarshal(b, &m) // informational: a damaged file only loses dates
	}
	return m
}

func writeMeta(dir string, m map[string]keyMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteAtomic(filepath.Join(dir, MetaFile), append(b, '\n'), 0o644)
}

// ActiveID is the id of the key in dir that signs (from its public half),
// "" when none was generated yet.
func ActiveID(dir string) string {
	pub, err := LoadPublic(filepath.Join(dir, PublicFile))
	if err != nil {
		return ""
	}
	return KeyID(pub)
}

// Header of the key listing (`cradle key list --format json`).
const (
	ListSchemaVersion = "1.0"
	ListKind          = "key_list"
)

// KeyList is what `cradle key list --format json` writes.
type KeyList struct {
	SchemaVersion string    `json:"schema_version"`
	Kind          string    `json:"kind"`
	Keys          []KeyInfo `json:"keys"`
}

// NewKeyList wraps keys in the listing document; nil becomes empty.
func NewKeyList(keys []KeyInfo) *KeyList {
	if keys == nil {
		keys = []KeyInfo{}
	}
	return &KeyList{SchemaVersion: ListSchemaVersion, Kind: ListKind, Keys: keys}
}

// ListKeys describes every trusted key in dir, the active one first, then
// by creation time.
func ListKeys(dir string) ([]KeyInfo, error) {
	ring, err := LoadKeyring(dir)
	if err != nil {
		return nil, err
	}
	meta, active := readMeta(dir), ActiveID(dir)
	var out []KeyInfo
	for _, id := range ring.IDs() {
		ki := KeyInfo{ID: id, Public: ring[id], Status: StatusTrusted}
		if m, ok := meta[id]; ok {
			ki.Created, ki.Retired = m.Created, m.Retired
			ki.Status = StatusActive
			if m.Retired != nil {
				ki.Status = StatusRetired
			}
		} else if fi, err := os.Stat(filepath.Join(dir, id+".pub")); err == nil {
			ki.Created = fi.ModTime().UTC()
		} else if fi, err := os.Stat(filepath.Join(dir, PublicFile)); err == nil {
			ki.Created = fi.ModTime().UTC()
		}
		if id == active {
			ki.Status, ki.Retired = StatusActive, nil
		} else if ki.Status == StatusActive {
			ki.Status = StatusRetired // generated here, no longer the signer
		}
		out = append(out, ki)
	}
	slices.SortStableFunc(out, func(a, b KeyInfo) int {
		if (a.Status == StatusActive) != (b.Status == StatusActive) {
			if a.Status == StatusActive {
				return -1
			}
			return 1
		}
		return a.Created.Compare(b.Created)
	})
	return out, nil
}

// ExportPublic returns the PEM public key with id in dir, or the active
// key's when id is empty.
func ExportPublic(dir, id string) ([]byte, error) {
	if id == "" {
		if id = ActiveID(dir); id == "" {
			return nil, fmt.Errorf("no signing key in %s yet", dir)
		}
	}
	ring, err := LoadKeyring(dir)
	if err != nil {
		return nil, err
	}
	pub, ok := ring[strings.ToLower(id)]
	if !ok {
		return nil, fmt.Errorf("no trusted key %q (known: %v)", id, ring.IDs())
	}
	return MarshalPublic(pub)
}

// ErrNoKeyToRotate is returned by Rotate when no key was generated yet.
var ErrNoKeyToRotate = errors.New("no generated signing key to rotate")

// Rotate replaces the generated key in dir with a new one. Before the
// switch, the public halves of both keys are stored as <id>.pub (so what
// the old key signed keeps verifying) and record is called with both keys
// (the caller logs the rotation signed by the old key and the new one);
// when record fails the old key stays active and the new one is retired. The old private key is then
// overwritten: a retired key can verify but never sign again.
func Rotate(dir string, now time.Time, record func(old, next *Key) error) (old, next *Key, err error) {
	if err := ensureDir(dir); err != nil {
		return nil, nil, err
	}
	keyPath := filepath.Join(dir, PrivateFile)
	if old, err = LoadPrivate(keyPath); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, ErrNoKeyToRotate
		}
		return nil, nil, err
	}
	if next, err = Generate(); err != nil {
		return nil, nil, err
	}
	stage := filepath.Join(dir, nextFile)
	os.Remove(stage) // left by an interrupted rotation that never switched
	pemBytes, err := MarshalPrivate(next)
	if err != nil {
		return nil, nil, err
	}
	if err := createExclusive(stage, pemBytes); err != nil {
		return nil, nil, err
	}
	defer os.Remove(stage)
	for _, k := range []*Key{old, next} {
		if err := ensurePublic(dir, k.id+".pub", k); err != nil {
			return nil, nil, err
		}
	}
	meta := readMeta(dir)
	if _, ok := meta[old.id]; !ok {
		created := now
		if fi, err := os.Stat(keyPath); err == nil {
			created = fi.ModTime().UTC()
		}
		meta[old.id] = keyMeta{Created: created}
	}
	if err := record(old, next); err != nil {
		// The new public key stays trusted (a record may have been written
		// before the failure) but is marked retired: it never signs.
		t := now.UTC()
		meta[next.id] = keyMeta{Created: t, Retired: &t}
		writeMeta(dir, meta)
		return nil, nil, err
	}
	if err := os.Rename(stage, keyPath); err != nil {
		return nil, nil, fmt.Errorf("activate the new signing key: %w", err)
	}
	syncDir(dir)
	if err := ensurePublic(dir, PublicFile, next); err != nil {
		return nil, nil, err
	}
	retired := now.UTC()
	m := meta[old.id]
	m.Retired = &retired
	meta[old.id] = m
	meta[next.id] = keyMeta{Created: now.UTC()}
	if err := writeMeta(dir, meta); err != nil {
		return old, next, fmt.Errorf("key rotated, but %s not updated: %w", MetaFile, err)
	}
	return old, next, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
