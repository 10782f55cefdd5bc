package app

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/sbom"
	"github.com/cradle-cra/cradle/internal/target"
)

// SBOMInput is a request for a target's software bill of materials.
type SBOMInput struct {
	Target target.Spec
	Format string // one of SBOMFormats; empty: cyclonedx-json
	// File, when set, names a single file to catalogue (a binary, a
	// lockfile, a jar) instead of Target.
	File string
	// Time is the document's timestamp; zero means $SOURCE_DATE_EPOCH
	// when set (reproducible builds), else now.
	Time time.Time
	// Creator is the SBOM's creator (TR-03183-2): an e-mail address or
	// an http(s) URL.
	Creator string
	// Files lists every hashed file as a component of its own;
	// NoFileHashes skips hashing (the SBOM then says the hashes are
	// unavailable).
	Files, NoFileHashes bool
	// Exclude names directories of the target (absolute, as seen in the
	// target) that the catalogers' walk does not enter.
	Exclude []string
	// Sign wraps the document in an in-toto attestation signed with Key
	// (a private key file; empty: $CRADLE_SIGNING_KEY or the generated
	// key). Subject names the artifact the attestation is about when it
	// is not the file or image catalogued (a host, a root filesystem).
	Sign         bool
	Key, Subject string
}

// SBOMOutput is the rendered document and what it covers.
type SBOMOutput struct {
	Document   []byte
	Components int
	// Gaps are the package databases present but unreadable.
	Gaps []string
}

// SBOMFormats lists the formats SBOM writes.
func SBOMFormats() []string { return sbom.Formats() }

// SBOM catalogues the target's installed packages and renders the bill
// of materials. A bad format or SOURCE_DATE_EPOCH is an input error
// reported before the target is opened.
func (a *App) SBOM(ctx context.Context, in SBOMInput) (*SBOMOutput, error) {
	if in.Format == "" {
		in.Format = sbom.FormatCycloneDXJSON
	}
	if !slices.Contains(sbom.Formats(), in.Format) {
		return nil, Usagef("unknown SBOM format %q (formats: %s)", in.Format, strings.Join(sbom.Formats(), ", "))
	}
	if _, err := sbom.ParseCreator(in.Creator); err != nil {
		return nil, Usagef("--creator: %v", err)
	}
	if in.Files && in.NoFileHashes {
		return nil, Usagef("--files needs the file hashes: drop --no-file-hashes")
	}
	for _, e := range in.Exclude {
		if !strings.HasPrefix(e, "/") || target.Clean(e) == "" {
			return nil, Usagef("--exclude %q: give an absolute path inside the target other than /", e)
		}
	}
	if err := checkSign(in); err != nil {
		return nil, err
	}
	when := in.Time
	if when.IsZero() {
		when = time.Now()
		if s := a.getenv("SOURCE_DATE_EPOCH"); s != "" {
			sec, err := strconv.ParseInt(s, 10, 64)
			if err != nil || sec < 0 {
				return nil, Usagef("SOURCE_DATE_EPOCH=%q: not a non-negative number of seconds", s)
			}
			when = time.Unix(sec, 0)
		}
	}
	if in.File != "" {
		return a.sbomFile(ctx, in, when)
	}
	t, err := openTarget(ctx, in.Target)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	b, err := sbom.BuildWith(ctx, t, in.Target.ID(), in.Target.Kind == target.KindImage, sbom.Options{NoFileHashes: in.NoFileHashes, Exclude: in.Exclude})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := b.Write(&buf, in.Format, sbom.WriteOptions{Time: when, ToolVersion: a.Version, Creator: in.Creator, Files: in.Files}); err != nil {
		return nil, err
	}
	return a.sbomOutput(in, b, buf.Bytes())
}

// sbomOutput is the rendered document, signed when asked.
func (a *App) sbomOutput(in SBOMInput, b *sbom.BOM, doc []byte) (*SBOMOutput, error) {
	if in.Sign {
		var err error
		if doc, err = a.attest(in, b, doc); err != nil {
			return nil, err
		}
	}
	return &SBOMOutput{Document: doc, Components: len(b.Components), Gaps: b.Gaps}, nil
}
