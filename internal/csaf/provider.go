package csaf

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/product"
)

// Marshal is the JSON cradle writes for a document: indented, with a
// final newline.
func Marshal(d any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Signer makes a detached signature of a file's bytes.
type Signer struct {
	KeyID string
	Sign  func([]byte) []byte
	// PublicPEM is the public key, published next to the documents.
	PublicPEM []byte
}

// Signature is the detached signature file (<document>.sig): an ed25519
// signature by a cradle signing key. CSAF's trusted-provider role asks
// for OpenPGP (.asc) signatures, which cradle does not make (see
// docs/cra.md).
type Signature struct {
	Algorithm string `json:"algorithm"`
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"`
}

// ProviderMetadata is provider-metadata.json (CSAF section 7.1.7).
type ProviderMetadata struct {
	CanonicalURL            string          `json:"canonical_url"`
	Distributions           []Distribution7 `json:"distributions"`
	LastUpdated             string          `json:"last_updated"`
	ListOnCSAFAggregators   bool            `json:"list_on_CSAF_aggregators"`
	MetadataVersion         string          `json:"metadata_version"`
	MirrorOnCSAFAggregators bool            `json:"mirror_on_CSAF_aggregators"`
	Publisher               Publisher       `json:"publisher"`
	Role                    string          `json:"role"`
}

// Distribution7 is one distribution of provider-metadata.json.
type Distribution7 struct {
	DirectoryURL string `json:"directory_url"`
}

// WellKnown is the provider tree's directory under the web root.
const WellKnown = ".well-known/csaf"

// Published is one document written into a provider tree.
type Published struct {
	Path   string // relative to the web root
	SHA256 string
}

// Publish writes docs into the provider tree under root (the web root):
// .well-known/csaf/white/<year>/<file>.json with .sha256, .sha512 and
// .sig, then rebuilds index.txt, changes.csv and provider-metadata.json
// from every document in the tree. Drafts are refused: a provider
// publishes what is released.
func Publish(root string, p *product.File, docs []*Document, sign Signer, now time.Time) ([]Published, error) {
	if err := Check(p); err != nil {
		return nil, err
	}
	base, err := httpsBase(p.Manufacturer.Website)
	if err != nil {
		return nil, err
	}
	white := filepath.Join(root, WellKnown, "white")
	var out []Published
	for _, d := range docs {
		if d.Document.Tracking.Status == StatusDraft {
			return nil, fmt.Errorf("%s is a draft: a provider publishes final or interim documents (cradle advisory --final)", d.Document.Tracking.ID)
		}
		year := d.Document.Tracking.InitialReleaseDate[:4]
		name := FileName(d.Document.Tracking.ID)
		dir := filepath.Join(white, year)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		b, err := Marshal(d)
		if err != nil {
			return nil, err
		}
		s256, s512 := sha256.Sum256(b), sha512.Sum512(b)
		sig, err := Marshal(Signature{Algorithm: "ed25519", KeyID: sign.KeyID, Signature: base64.StdEncoding.EncodeToString(sign.Sign(b))})
		if err != nil {
			return nil, err
		}
		for _, f := range []struct {
			name string
			data []byte
		}{{name, b}, {name + ".sha256", []byte(hex.EncodeToString(s256[:]) + "  " + name + "\n")},
			{name + ".sha512", []byte(hex.EncodeToString(s512[:]) + "  " + name + "\n")}, {name + ".sig", sig}} {
			if err := fileutil.WriteAtomic(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
				return nil, err
			}
		}
		out = append(out, Published{Path: path.Join(WellKnown, "white", year, name), SHA256: hex.EncodeToString(s256[:])})
	}
	if len(sign.PublicPEM) > 0 {
		if err := fileutil.WriteAtomic(filepath.Join(root, WellKnown, "cradle-"+sign.KeyID+".pub"), sign.PublicPEM, 0o644); err != nil {
			return nil, err
		}
	}
	if err := writeIndex(white); err != nil {
		return nil, err
	}
	pm := ProviderMetadata{CanonicalURL: base + "/" + WellKnown + "/provider-metadata.json",
		Distributions: []Distribution7{{DirectoryURL: base + "/" + WellKnown + "/white/"}},
		LastUpdated:   stamp(now), ListOnCSAFAggregators: true, MetadataVersion: Version, MirrorOnCSAFAggregators: true,
		Publisher: Publisher{Category: "vendor", Name: p.Manufacturer.Name, Namespace: strings.TrimSuffix(p.Manufacturer.Website, "/"),
			ContactDetails: contactDetails(p)},
		Role: "csaf_provider"}
	b, err := Marshal(pm)
	if err != nil {
		return nil, err
	}
	if err := fileutil.WriteAtomic(filepath.Join(root, WellKnown, "provider-metadata.json"), b, 0o644); err != nil {
		return nil, err
	}
	txt := SecurityTxt(p, now)
	if err := os.MkdirAll(filepath.Join(root, ".well-known"), 0o755); err != nil {
		return nil, err
	}
	return out, fileutil.WriteAtomic(filepath.Join(root, ".well-known", "security.txt"), []byte(txt), 0o644)
}

func httpsBase(website string) (string, error) {
	u, err := url.Parse(website)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("manufacturer.website %q: a CSAF provider is served over https", website)
	}
	return strings.TrimSuffix(website, "/"), nil
}

// writeIndex lists every document of the TLP:WHITE directory in
// index.txt (sorted) and changes.csv (newest first, by the document's
// current release date), as CSAF requirements 13 and 14 ask.
func writeIndex(white string) error {
	type entry struct{ rel, date string }
	var es []entry
	err := filepath.WalkDir(white, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var doc struct {
			Document struct {
				Tracking struct {
					Current string `json:"current_release_date"`
				} `json:"tracking"`
			} `json:"document"`
		}
		if err := json.Unmarshal(b, &doc); err != nil || doc.Document.Tracking.Current == "" {
			return fmt.Errorf("%s: not a CSAF document", p)
		}
		rel, _ := filepath.Rel(white, p)
		es = append(es, entry{filepath.ToSlash(rel), doc.Document.Tracking.Current})
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.rel, b.rel) })
	var idx, ch strings.Builder
	for _, e := range es {
		idx.WriteString(e.rel + "\n")
	}
	slices.SortStableFunc(es, func(a, b entry) int { return strings.Compare(b.date, a.date) })
	for _, e := range es {
		fmt.Fprintf(&ch, "%q,%q\n", e.rel, e.date)
	}
	if err := fileutil.WriteAtomic(filepath.Join(white, "index.txt"), []byte(idx.String()), 0o644); err != nil {
		return err
	}
	return fileutil.WriteAtomic(filepath.Join(white, "changes.csv"), []byte(ch.String()), 0o644)
}

// SecurityTxt is an RFC 9116 security.txt from the product file: the
// contacts (the security contact first), an expiry within a year (BSI
// TR-03183-3 asks for at most one), the disclosure policy, the CSAF
// provider metadata, the preferred language and the canonical URL.
func SecurityTxt(p *product.File, now time.Time) string {
	base := strings.TrimSuffix(p.Manufacturer.Website, "/")
	var b strings.Builder
	var seen []string
	contact := func(c string) {
		if c == "" {
			return
		}
		if !strings.Contains(c, ":") {
			c = "mailto:" + c
		}
		if !slices.Contains(seen, c) {
			seen = append(seen, c)
			fmt.Fprintf(&b, "Contact: %s\n", c)
		}
	}
	contact(p.Security.Contact)
	for _, c := range p.Manufacturer.Contacts {
		if r := strings.ToLower(c.Role); strings.Contains(r, "psirt") || strings.Contains(r, "csirt") || strings.Contains(r, "security") {
			contact(c.Email)
		}
	}
	fmt.Fprintf(&b, "Expires: %s\n", now.UTC().Truncate(time.Second).AddDate(0, 0, 364).Format(time.RFC3339))
	if p.Security.CVDPolicy != "" {
		fmt.Fprintf(&b, "Policy: %s\n", p.Security.CVDPolicy)
	}
	fmt.Fprintf(&b, "CSAF: %s/%s/provider-metadata.json\n", base, WellKnown)
	b.WriteString("Preferred-Languages: en\n")
	canonical := p.Security.SecurityTxt
	if canonical == "" {
		canonical = base + "/.well-known/security.txt"
	}
	fmt.Fprintf(&b, "Canonical: %s\n", canonical)
	return b.String()
}
