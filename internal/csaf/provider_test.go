package csaf

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/pgp"
	"github.com/cradle-cra/cradle/internal/pgp/pgptest"
)

func TestPublish(t *testing.T) {
	p := productFile(t)
	sign, err := pgp.LoadOrCreate(filepath.Join(t.TempDir(), "keys"), "Example GmbH", "psirt@example.com", now)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if _, err := Publish(root, p, build(t, cases()["triage"], "", nil, false), sign, now); err == nil || !strings.Contains(err.Error(), "is a draft") {
		t.Errorf("draft published: %v", err)
	}
	var all []string
	for _, name := range []string{"fixed-kev", "no-fix"} {
		tree, err := Publish(root, p, build(t, cases()[name], "", nil, true), sign, now)
		if err != nil {
			t.Fatal(err)
		}
		if tree.Role != RoleTrustedProvider || len(tree.Unsigned) != 0 || tree.Fingerprint != sign.Fingerprint() {
			t.Errorf("tree %+v", tree)
		}
		for _, o := range tree.Documents {
			all = append(all, filepath.Join(root, o.Path))
		}
	}
	wk := filepath.Join(root, ".well-known", "csaf")
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if err := validate(t, "provider_json_schema.json", read(filepath.Join(wk, "provider-metadata.json"))); err != nil {
		t.Errorf("provider-metadata.json: %v", err)
	}
	if got := string(read(filepath.Join(wk, "white", "index.txt"))); got != "2026/case-2026-0001-vex.json\n2026/case-2026-0001.json\n2026/case-2026-0004-vex.json\n2026/case-2026-0004.json\n" {
		t.Errorf("index.txt:\n%s", got)
	}
	if got := string(read(filepath.Join(wk, "white", "changes.csv"))); !strings.HasPrefix(got, `"2026/case-2026-0001-vex.json","2026-12-05T10:00:00Z"`) || strings.Count(got, "\n") != 4 {
		t.Errorf("changes.csv:\n%s", got)
	}
	for _, f := range all {
		b := read(f)
		s256, s512 := sha256.Sum256(b), sha512.Sum512(b)
		if got := string(read(f + ".sha256")); got != hex.EncodeToString(s256[:])+"  "+filepath.Base(f)+"\n" {
			t.Errorf("%s.sha256: %s", f, got)
		}
		if got := string(read(f + ".sha512")); !strings.HasPrefix(got, hex.EncodeToString(s512[:])) {
			t.Errorf("%s.sha512: %s", f, got)
		}
		pub := read(filepath.Join(wk, "openpgp", sign.Fingerprint()+".asc"))
		if fp, err := pgp.Verify([][]byte{pub}, b, read(f+".asc")); err != nil || fp != sign.Fingerprint() {
			t.Errorf("%s.asc does not verify: %v", f, err)
		}
		if err := validate(t, "csaf_json_schema.json", b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	var pm ProviderMetadata
	if err := json.Unmarshal(read(filepath.Join(wk, "provider-metadata.json")), &pm); err != nil {
		t.Fatal(err)
	}
	if want := []OpenPGPKey{{sign.Fingerprint(), "https://example.com/.well-known/csaf/openpgp/" + sign.Fingerprint() + ".asc"}}; pm.Role != RoleTrustedProvider || !slices.Equal(pm.PublicOpenPGPKeys, want) {
		t.Errorf("provider metadata: role %s, keys %+v", pm.Role, pm.PublicOpenPGPKeys)
	}
	txt := string(read(filepath.Join(root, ".well-known", "security.txt")))
	want := "Contact: https://example.com/security/report\nContact: mailto:psirt@example.com\nExpires: 2027-12-04T10:00:00Z\n" +
		"Policy: https://example.com/security/policy\nCSAF: https://example.com/.well-known/csaf/provider-metadata.json\n" +
		"Preferred-Languages: en\nCanonical: https://example.com/.well-known/security.txt\n"
	if !strings.HasPrefix(txt, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"+strings.TrimSuffix(want, "\n")+"\n-----BEGIN PGP SIGNATURE-----\n") {
		t.Errorf("security.txt:\n%s\nwant:\n%s", txt, want)
	}
	p.Manufacturer.Website = "http://example.com"
	if _, err := Publish(t.TempDir(), p, build(t, cases()["no-fix"], "", nil, true), sign, now); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("http provider: %v", err)
	}
}

// TestPublishGPG checks the provider tree with GnuPG: every document's
// .asc verifies with the published key, a tampered document does not,
// and security.txt carries a good cleartext signature. A document
// without a valid signature takes the trusted-provider role away.
func TestPublishGPG(t *testing.T) {
	g := pgptest.New(t)
	clock := time.Now()
	key, err := pgp.LoadOrCreate(filepath.Join(t.TempDir(), "keys"), "Example GmbH", "psirt@example.com", clock)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	tree, err := Publish(root, productFile(t), build(t, cases()["fixed-kev"], "", nil, true), key, clock)
	if err != nil {
		t.Fatal(err)
	}
	wk := filepath.Join(root, ".well-known", "csaf")
	g.Import(filepath.Join(wk, "openpgp", tree.Fingerprint+".asc"))
	for _, d := range tree.Documents {
		f := filepath.Join(root, d.Path)
		if out, err := g.Run("--verify", f+".asc", f); err != nil || !strings.Contains(out, "Good signature") {
			t.Errorf("gpg --verify %s.asc: %v\n%s", d.Path, err, out)
		}
	}
	if out, err := g.Run("--verify", filepath.Join(root, ".well-known", "security.txt")); err != nil || !strings.Contains(out, "Good signature") {
		t.Errorf("gpg --verify security.txt: %v\n%s", err, out)
	}
	f := filepath.Join(root, tree.Documents[0].Path)
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, bytes.Replace(b, []byte("2.4.1"), []byte("2.4.2"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := g.Run("--verify", f+".asc", f); err == nil {
		t.Errorf("gpg accepted a tampered document:\n%s", out)
	}
	tree, err = Publish(root, productFile(t), build(t, cases()["no-fix"], "", nil, true), key, clock)
	if err != nil {
		t.Fatal(err)
	}
	if tree.Role != RoleProvider || !slices.Equal(tree.Unsigned, []string{"2026/case-2026-0001.json"}) {
		t.Errorf("tampered tree: role %s, unsigned %v", tree.Role, tree.Unsigned)
	}
}
