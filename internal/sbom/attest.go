package sbom

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/envelope"
)

// An SBOM attestation is an in-toto Statement v1 whose predicate is the
// SBOM document itself, in a DSSE envelope of payload type
// application/vnd.in-toto+json: the form cosign and in-toto verifiers
// expect, so cradle's attestations need no cradle to be checked.
const (
	StatementV1 = "https://in-toto.io/Statement/v1"
	// Predicate types of the in-toto predicate catalogue (the unversioned
	// URIs, as cosign's --type cyclonedx and spdxjson name them).
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	PredicateSPDX      = "https://spdx.dev/Document"
)

// Errors of VerifyAttestation besides the envelope's (envelope.Err*).
var (
	ErrStatement = errors.New("not a valid in-toto statement")
	ErrPredicate = errors.New("predicate is not a valid SBOM")
	ErrSubject   = errors.New("artifact is not a subject of the attestation")
)

// ArtifactDigest is a subject of a statement: an artifact's name and
// digests (algorithm → lower-case hex), as in-toto's ResourceDescriptor.
type ArtifactDigest struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Statement is an in-toto Statement v1.
type Statement struct {
	Type          string           `json:"_type"`
	Subject       []ArtifactDigest `json:"subject"`
	PredicateType string           `json:"predicateType"`
	Predicate     json.RawMessage  `json:"predicate"`
}

// PredicateType returns the in-toto predicate type of an SBOM format, or
// an error for a format that cannot be a JSON predicate (CycloneDX XML).
func PredicateType(format string) (string, error) {
	switch format {
	case FormatCycloneDXJSON:
		return PredicateCycloneDX, nil
	case FormatSPDXJSON, FormatSPDX23JSON:
		return PredicateSPDX, nil
	}
	return "", fmt.Errorf("an in-toto predicate is JSON: format %q cannot be attested (use cyclonedx-json, spdx-json or spdx23-json)", format)
}

// DigestFile returns the SHA-256 and SHA-512 of r's content as an
// artifact named name.
func DigestFile(name string, r io.Reader) (ArtifactDigest, error) {
	h256, h512 := sha256.New(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(h256, h512), r); err != nil {
		return ArtifactDigest{}, fmt.Errorf("digest %s: %w", name, err)
	}
	return ArtifactDigest{Name: name, Digest: map[string]string{
		"sha256": hex.EncodeToString(h256.Sum(nil)),
		"sha512": hex.EncodeToString(h512.Sum(nil)),
	}}, nil
}

// TreeDigest is the subject of a target that is no single file (a host, a
// root filesystem): SHA-512 over the sha512sum lines of every file the
// BOM's components ship, sorted by path (ManifestSHA512 of their union),
// so `sha512sum` over the same files reproduces it. ok is false when no
// file was hashed.
func (b *BOM) TreeDigest(name string) (d ArtifactDigest, ok bool) {
	seen := map[string]bool{}
	var all []File
	for _, c := range b.Components {
		for _, f := range c.Files {
			if !seen[f.Path] {
				seen[f.Path] = true
				all = append(all, f)
			}
		}
	}
	if len(all) == 0 {
		return ArtifactDigest{}, false
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Path < all[j].Path })
	return ArtifactDigest{Name: name, Digest: map[string]string{"sha512": ManifestSHA512(all)}}, true
}

// Attest wraps the SBOM document doc (of format) in an in-toto statement
// about subjects and signs it: the result is the DSSE envelope as
// indented JSON.
func Attest(doc []byte, format string, subjects []ArtifactDigest, signer envelope.Signer) ([]byte, error) {
	pt, err := PredicateType(format)
	if err != nil {
		return nil, err
	}
	if len(subjects) == 0 {
		return nil, fmt.Errorf("attest: %w: no subject", ErrStatement)
	}
	st := Statement{Type: StatementV1, Subject: subjects, PredicateType: pt, Predicate: doc}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("attest: encode statement: %w", err)
	}
	env, err := envelope.Sign(envelope.TypeSBOMAttestation, payload, signer)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("attest: encode envelope: %w", err)
	}
	return append(out, '\n'), nil
}

// Attestation is a verified SBOM attestation.
type Attestation struct {
	KeyID     string
	Statement Statement
	// SBOM is the predicate, the SBOM document; Doc is it read.
	SBOM []byte
	Doc  *Doc
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]+$`)

// digestLen is the hex length of the fixed-size digests in-toto names
// (other algorithms are accepted as lower-case hex of any length).
var digestLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128, "sha1": 40, "sha224": 56, "sha512_256": 64}

// VerifyAttestation checks an attestation file: a DSSE envelope of the
// in-toto payload type, every signature by a key of keys and valid, an
// in-toto Statement v1 with at least one subject with a digest, an SBOM
// predicate type, and a predicate that reads as an SBOM of that type.
// Errors wrap envelope.Err* (the envelope and its signatures),
// ErrStatement or ErrPredicate.
func VerifyAttestation(data []byte, keys envelope.Keys) (*Attestation, error) {
	env, err := envelope.Parse(data)
	if err != nil {
		return nil, err
	}
	payload, keyID, err := envelope.Verify(env, envelope.TypeSBOMAttestation, keys)
	if err != nil {
		return nil, err
	}
	var st Statement
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatement, err)
	}
	if err := st.validate(); err != nil {
		return nil, err
	}
	d, err := Read(st.Predicate)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPredicate, err)
	}
	want := "CycloneDX"
	if strings.HasPrefix(st.PredicateType, PredicateSPDX) {
		want = "SPDX"
	}
	if d.Format != want {
		return nil, fmt.Errorf("%w: predicate type %s but the document is %s", ErrPredicate, st.PredicateType, d.Format)
	}
	return &Attestation{KeyID: keyID, Statement: st, SBOM: st.Predicate, Doc: d}, nil
}

func (st *Statement) validate() error {
	if st.Type != StatementV1 {
		return fmt.Errorf("%w: _type %q (want %s)", ErrStatement, st.Type, StatementV1)
	}
	if len(st.Subject) == 0 {
		return fmt.Errorf("%w: no subject", ErrStatement)
	}
	for i, s := range st.Subject {
		if len(s.Digest) == 0 {
			return fmt.Errorf("%w: subject %d (%q) has no digest", ErrStatement, i, s.Name)
		}
		for alg, v := range s.Digest {
			if n, fixed := digestLen[alg]; !hexDigest.MatchString(v) || fixed && len(v) != n {
				return fmt.Errorf("%w: subject %q: %s digest is not %s hex", ErrStatement, s.Name, alg, alg)
			}
		}
	}
	if !sbomPredicate(st.PredicateType) {
		return fmt.Errorf("%w: predicate type %q is not an SBOM (%s or %s)", ErrStatement, st.PredicateType, PredicateCycloneDX, PredicateSPDX)
	}
	if len(st.Predicate) == 0 || st.Predicate[0] != '{' {
		return fmt.Errorf("%w: the predicate is not a JSON object", ErrPredicate)
	}
	return nil
}

// sbomPredicate accepts the SBOM predicate types with or without a version
// suffix ("https://spdx.dev/Document/v2.3", "https://cyclonedx.org/bom/v1.6").
func sbomPredicate(t string) bool {
	for _, p := range []string{PredicateCycloneDX, PredicateSPDX} {
		if t == p || strings.HasPrefix(t, p+"/v") {
			return true
		}
	}
	return false
}

// Matches reports whether an artifact's digests match a subject of the
// attestation: a subject with a digest of the same algorithm and value
// (every algorithm both name must agree).
func (a *Attestation) Matches(art ArtifactDigest) bool {
	for _, s := range a.Statement.Subject {
		common, agree := 0, true
		for alg, v := range art.Digest {
			if sv, ok := s.Digest[alg]; ok {
				common++
				agree = agree && sv == v
			}
		}
		if common > 0 && agree {
			return true
		}
	}
	return false
}
