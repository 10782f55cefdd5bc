// Package evidence builds and verifies a release's CRA evidence pack: the
// Annex I Part I and II matrix computed from the risk assessment and the
// artifacts (scan and SCAP results, fix, drift and FIM status, SBOM,
// vulnerability report, VEX, advisories, change log excerpt), drafts of
// the Annex VII technical documentation, the Annex II user information and
// the Annex V EU declaration of conformity, the retention date, and a
// manifest of every file's SHA-256 signed as a DSSE envelope.
//
// A pack is a directory (and optionally a zip of it) with manifest.json
// and manifest.dsse.json at its root. Verify accepts either and reports
// every file that does not hold; the zip reader is bounded against zip
// bombs and refuses unsafe entry names.
package evidence
