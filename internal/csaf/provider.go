package csaf

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/pgp"
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

// ProviderMetadata is provider-metadata.json (CSAF section 7.1.7).
type ProviderMetadata struct {
	CanonicalURL            string          `json:"canonical_url"`
	Distributions           []Distribution7 `json:"distributions"`
	LastUpdated             string          `json:"last_updated"`
	ListOnCSAFAggregators   bool            `json:"list_on_CSAF_aggregators"`
	MetadataVersion         string          `json:"metadata_version"`
	MirrorOnCSAFAggregators bool            `json:"mirror_on_CSAF_aggregators"`
	PublicOpenPGPKeys       []OpenPGPKey    `json:"public_openpgp_keys,omitempty"`
	Publisher               Publisher       `json:"publisher"`
	Role                    string          `json:"role"`
}

// OpenPGPKey is one entry of public_openpgp_keys.
type OpenPGPKey struct {
	Fingerprint string `json:"fingerprint"`
	URL         string `json:"url"`
}

// Distribution7 is one distribution of provider-metadata.json.
type Distribution7 struct {
	DirectoryURL string `json:"directory_url"`
}

// WellKnown is the provider tree's directory under the web root.
const WellKnown = ".well-known/csaf"

// The provider roles (CSAF section 7.2).
const (
	RoleProvider        = "csaf_provider"
	RoleTrustedProvider = "csaf_trusted_provider"
)

// Published is one document written into a provider tree.
type Published struct {
	Path   string // relative to the web root
	SHA256 string
}

// Tree is what Publish wrote and claims.
type Tree struct {
	Documents   []Published
	Fingerprint string // of the signing key
	Role        string
	// Unsigned lists the documents of the tree (relative to white/)
	// without an OpenPGP signature that verifies with a published key:
	// while there are any, the tree is no trusted provider's.
	Unsigned []string
}

// maxKeys bounds the public keys read from the tree's openpgp directory.
const maxKeys = 64

var keyFileName = regexp.MustCompile(`^[0-9A-F]{40,}\.asc$`)

// Publish writes docs into the provider tree under root (the web root):
// .well-known/csaf/white/<year>/<file>.json with .sha256, .sha512 and an
// OpenPGP detached signature (.asc) by key, the public key as
// openpgp/<fingerprint>.asc, then rebuilds index.txt, changes.csv and
// provider-metadata.json from every document in the tree, and writes a
// cleartext-signed security.txt. Drafts are refused: a provider
// publishes what is released.
//
// The role is csaf_trusted_provider when every document of the tree has
// hashes and a signature that verifies with a key listed in
// public_openpgp_keys (requirements 18 to 20), else csaf_provider.
func Publish(root string, p *product.File, docs []*Document, key *pgp.Key, now time.Time) (*Tree, error) {
	if err := Check(p); err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errors.New("publish: no OpenPGP key")
	}
	base, err := httpsBase(p.Manufacturer.Website)
	if err != nil {
		return nil, err
	}
	white := filepath.Join(root, WellKnown, "white")
	tree := &Tree{Fingerprint: key.Fingerprint()}
	for _, d := range docs {
		if d.Document.Tracking.Status == StatusDraft {
			return nil, fmt.Errorf("%s is a draft: a provider publishes final or interim documents (cradle advisory --final)", d.Document.Tracking.ID)
		}
	}
	for _, d := range docs {
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
		asc, err := key.DetachSign(b, now)
		if err != nil {
			return nil, err
		}
		for _, f := range []struct {
			name string
			data []byte
		}{{name, b}, {name + ".sha256", []byte(hex.EncodeToString(s256[:]) + "  " + name + "\n")},
			{name + ".sha512", []byte(hex.EncodeToString(s512[:]) + "  " + name + "\n")}, {name + ".asc", asc}} {
			if err := fileutil.WriteAtomic(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
				return nil, err
			}
		}
		// An ed25519 .sig of earlier cradle versions signs older content.
		if err := os.Remove(filepath.Join(dir, name+".sig")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		tree.Documents = append(tree.Documents, Published{Path: path.Join(WellKnown, "white", year, name), SHA256: hex.EncodeToString(s256[:])})
	}
	pubKey, err := key.PublicArmored()
	if err != nil {
		return nil, err
	}
	keyDir := filepath.Join(root, WellKnown, "openpgp")
	if err := os.MkdirAll(keyDir, 0o755); err != nil {
		return nil, err
	}
	if err := fileutil.WriteAtomic(filepath.Join(keyDir, tree.Fingerprint+".asc"), pubKey, 0o644); err != nil {
		return nil, err
	}
	keys, pks, err := publishedKeys(keyDir, base, tree.Fingerprint)
	if err != nil {
		return nil, err
	}
	if tree.Unsigned, err = writeIndex(white, pks); err != nil {
		return nil, err
	}
	tree.Role = RoleTrustedProvider
	if len(tree.Unsigned) > 0 {
		tree.Role = RoleProvider
	}
	pm := ProviderMetadata{CanonicalURL: base + "/" + WellKnown + "/provider-metadata.json",
		Distributions: []Distribution7{{DirectoryURL: base + "/" + WellKnown + "/white/"}},
		LastUpdated:   stamp(now), ListOnCSAFAggregators: true, MetadataVersion: Version, MirrorOnCSAFAggregators: true,
		PublicOpenPGPKeys: keys,
		Publisher: Publisher{Category: "vendor", Name: p.Manufacturer.Name, Namespace: strings.TrimSuffix(p.Manufacturer.Website, "/"),
			ContactDetails: contactDetails(p)},
		Role: tree.Role}
	b, err := Marshal(pm)
	if err != nil {
		return nil, err
	}
	if err := fileutil.WriteAtomic(filepath.Join(root, WellKnown, "provider-metadata.json"), b, 0o644); err != nil {
		return nil, err
	}
	txt, err := key.ClearSign([]byte(SecurityTxt(p, now)), now)
	if err != nil {
		return nil, err
	}
	return tree, fileutil.WriteAtomic(filepath.Join(root, ".well-known", "security.txt"), txt, 0o644)
}

// publishedKeys lists the public keys of the tree's openpgp directory
// (the signing key first, then earlier keys, which still verify the
// documents they signed) with their contents.
func publishedKeys(dir, base, current string) ([]OpenPGPKey, [][]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var fps []string
	for _, e := range ents {
		if e.Type().IsRegular() && keyFileName.MatchString(e.Name()) {
			fps = append(fps, strings.TrimSuffix(e.Name(), ".asc"))
		}
	}
	if len(fps) > maxKeys {
		return nil, nil, fmt.Errorf("%s: more than %d keys", dir, maxKeys)
	}
	slices.SortFunc(fps, func(a, b string) int {
		if (a == current) != (b == current) {
			if a == current {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	var keys []OpenPGPKey
	var pks [][]byte
	for _, fp := range fps {
		b, err := fileutil.ReadBounded(filepath.Join(dir, fp+".asc"), 1<<20)
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, OpenPGPKey{Fingerprint: fp, URL: base + "/" + WellKnown + "/openpgp/" + fp + ".asc"})
		pks = append(pks, b)
	}
	return keys, pks, nil
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
// current release date), as CSAF requirements 13 and 14 ask. It returns
// the documents without hashes or without a signature that verifies
// with one of the public keys.
func writeIndex(white string, keys [][]byte) ([]string, error) {
	type entry struct{ rel, date string }
	var es []entry
	var unsigned []string
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
		if !signed(p, b, keys) {
			unsigned = append(unsigned, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	slices.Sort(unsigned)
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
		return nil, err
	}
	return unsigned, fileutil.WriteAtomic(filepath.Join(white, "changes.csv"), []byte(ch.String()), 0o644)
}

// signed tells whether the document at p (content b) has its hash files
// and an OpenPGP signature that verifies with one of keys.
func signed(p string, b []byte, keys [][]byte) bool {
	s256, s512 := sha256.Sum256(b), sha512.Sum512(b)
	for ext, sum := range map[string][]byte{".sha256": s256[:], ".sha512": s512[:]} {
		h, err := fileutil.ReadBounded(p+ext, 4096)
		if err != nil || !bytes.HasPrefix(h, []byte(hex.EncodeToString(sum)+" ")) {
			return false
		}
	}
	asc, err := fileutil.ReadBounded(p+".asc", 1<<20)
	if err != nil {
		return false
	}
	_, err = pgp.Verify(keys, b, asc)
	return err == nil
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
