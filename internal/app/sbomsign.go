package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/sbom"
	"github.com/cradle-cra/cradle/internal/target"
)

// checkSign refuses, before the target is opened, a signing request that
// cannot succeed.
func checkSign(in SBOMInput) error {
	if !in.Sign {
		if in.Key != "" || in.Subject != "" {
			return Usagef("--key and --subject are for --sign")
		}
		return nil
	}
	if _, err := sbom.PredicateType(in.Format); err != nil {
		return Input(err)
	}
	if in.NoFileHashes && in.Subject == "" && in.File == "" && in.Target.Kind != target.KindImage {
		return Usagef("--sign of a %s needs the file hashes for the attestation's subject: drop --no-file-hashes or name the artifact with --subject FILE", in.Target.ID())
	}
	return nil
}

// attest wraps doc in a signed in-toto attestation. Its subject is the
// artifact the SBOM describes: --subject FILE when given, else the file
// (--file) or image archive (--image) catalogued, else the target's files
// (sbom.BOM.TreeDigest).
func (a *App) attest(in SBOMInput, b *sbom.BOM, doc []byte) ([]byte, error) {
	var subj sbom.ArtifactDigest
	var err error
	switch {
	case in.Subject != "":
		subj, err = digestFile(in.Subject)
	case in.File != "":
		subj, err = digestFile(in.File)
	case in.Target.Kind == target.KindImage:
		subj, err = digestFile(in.Target.Path)
	default:
		var ok bool
		if subj, ok = b.TreeDigest(in.Target.ID()); !ok {
			return nil, Usagef("--sign: %s has no hashed file to name as the attestation's subject; name the artifact with --subject FILE", in.Target.ID())
		}
	}
	if err != nil {
		return nil, err
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	k, err := a.signer(h, in.Key)
	if err != nil {
		return nil, err
	}
	out, err := sbom.Attest(doc, in.Format, []sbom.ArtifactDigest{subj}, k)
	if err != nil {
		return nil, Input(err)
	}
	return out, nil
}

// digestFile names a regular file by its base name with its SHA-256 and
// SHA-512, as `sha256sum`/`sha512sum` and cosign compute them.
func digestFile(path string) (sbom.ArtifactDigest, error) {
	f, err := fileutil.OpenRegular(path)
	if err != nil {
		return sbom.ArtifactDigest{}, Input(fmt.Errorf("subject: %w", err))
	}
	defer f.Close()
	d, err := sbom.DigestFile(filepath.Base(path), f)
	if err != nil {
		return sbom.ArtifactDigest{}, Input(err)
	}
	return d, nil
}

// SBOMVerifyInput is an attestation file to check, the keys trusted to
// have signed it (none: the public keys in the state directory) and
// optionally the artifact it must be about.
type SBOMVerifyInput struct {
	File     string
	PubKeys  []string
	Artifact string
}

// SBOMVerify checks an SBOM attestation (sbom.VerifyAttestation) and, with
// Artifact, that the file is one of its subjects. An attestation that does
// not hold is a finding; a file that cannot be read or parsed as an
// envelope is an input error.
func (a *App) SBOMVerify(_ context.Context, in SBOMVerifyInput) (*sbom.Attestation, error) {
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	keys, err := trustedKeys(h, in.PubKeys)
	if err != nil {
		return nil, err
	}
	data, err := fileutil.ReadBounded(in.File, envelope.MaxSize)
	if err != nil {
		return nil, Input(err)
	}
	att, err := sbom.VerifyAttestation(data, keys)
	switch {
	case errors.Is(err, envelope.ErrMalformed):
		return nil, Usagef("%s: %v", in.File, err)
	case err != nil:
		return nil, Findingsf("%s: attestation does not verify: %v", in.File, err)
	}
	if in.Artifact != "" {
		d, err := digestFile(in.Artifact)
		if err != nil {
			return nil, err
		}
		if !att.Matches(d) {
			return nil, Findingsf("%s: %v: %s (sha256 %s)", in.File, sbom.ErrSubject, in.Artifact, d.Digest["sha256"])
		}
	}
	return att, nil
}
