package csaf

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPublish(t *testing.T) {
	p := productFile(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	sign := Signer{KeyID: "k1", Sign: func(b []byte) []byte { return ed25519.Sign(priv, b) }, PublicPEM: []byte("PEM\n")}
	root := t.TempDir()
	if _, err := Publish(root, p, build(t, cases()["triage"], "", nil, false), sign, now); err == nil || !strings.Contains(err.Error(), "is a draft") {
		t.Errorf("draft published: %v", err)
	}
	var all []string
	for _, name := range []string{"fixed-kev", "no-fix"} {
		out, err := Publish(root, p, build(t, cases()[name], "", nil, true), sign, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out {
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
		var sig Signature
		if err := json.Unmarshal(read(f+".sig"), &sig); err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(sig.Signature)
		if sig.KeyID != "k1" || !ed25519.Verify(pub, b, raw) {
			t.Errorf("%s.sig does not verify", f)
		}
		if err := validate(t, "csaf_json_schema.json", b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	txt := string(read(filepath.Join(root, ".well-known", "security.txt")))
	want := "Contact: https://example.com/security/report\nContact: mailto:psirt@example.com\nExpires: 2027-12-04T10:00:00Z\n" +
		"Policy: https://example.com/security/policy\nCSAF: https://example.com/.well-known/csaf/provider-metadata.json\n" +
		"Preferred-Languages: en\nCanonical: https://example.com/.well-known/security.txt\n"
	if txt != want {
		t.Errorf("security.txt:\n%s\nwant:\n%s", txt, want)
	}
	p.Manufacturer.Website = "http://example.com"
	if _, err := Publish(t.TempDir(), p, build(t, cases()["no-fix"], "", nil, true), sign, now); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("http provider: %v", err)
	}
}
