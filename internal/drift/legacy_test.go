package drift

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/signing"
)

func legacyKeys(t *testing.T) signing.Keyring {
	t.Helper()
	keys, err := signing.LoadKeyring("testdata/legacy")
	if err != nil || len(keys) != 1 {
		t.Fatalf("legacy keyring: %v %v", keys, err)
	}
	return keys
}

// Snapshots approved by the pre-envelope code keep verifying, with the
// digest that code computed, also after jq re-indented them (jq also
// un-escapes encoding/json's \u003c, \u003e and \u0026).
func TestLegacySnapshotVerifies(t *testing.T) {
	keys := legacyKeys(t)
	want, _ := os.ReadFile("testdata/legacy/digest.txt")
	for _, name := range []string{"approved.json", "approved.jq.json"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile("testdata/legacy/" + name)
			if err != nil {
				t.Fatal(err)
			}
			s, d, err := Verify(name, data, keys)
			if err != nil {
				t.Fatal(err)
			}
			if d != strings.TrimSpace(string(want)) || s.Approval.Reason != "baseline <v1> & more" || len(s.Files) != 2 {
				t.Fatalf("digest %s (want %s), snapshot %+v", d, want, s)
			}
			edited := bytes.Replace(data, []byte(`"0600"`), []byte(`"0644"`), 1)
			if _, _, err := Verify(name, edited, keys); !errors.Is(err, ErrTampered) {
				t.Fatalf("edited legacy snapshot: %v", err)
			}
		})
	}
}

// jqIndent re-encodes data the way jq . does: indented, HTML characters
// unescaped. The real jq is used when installed.
func jqIndent(t *testing.T, data []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("jq"); err == nil {
		cmd := exec.Command("jq", ".")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	enc.Encode(v)
	return buf.Bytes()
}

// docs/drift.md promises that re-indenting a snapshot is not an edit.
func TestReindentedSnapshotVerifies(t *testing.T) {
	k, _ := signing.Generate()
	keys := signing.Keyring{}
	keys.Add(k.Public())
	data, d, err := Sign(&Snapshot{Target: "root:/x", Approval: Approval{Reason: "<ok> & fine"}}, k)
	if err != nil {
		t.Fatal(err)
	}
	s, d2, err := Verify("approved.json", jqIndent(t, data), keys)
	if err != nil || d2 != d || s.Approval.Reason != "<ok> & fine" {
		t.Fatalf("re-indented: %v (%s vs %s)", err, d2, d)
	}
}
