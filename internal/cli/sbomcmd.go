package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

const sbomLong = `Write the software bill of materials of a target: every installed package
of its package databases (dpkg's status file and status.d, apk's installed
database, rpm's SQLite rpmdb), read offline without the package manager,
and what the language catalogers find in one walk of the target: Go
binaries (build info) and go.mod, npm (package-lock, yarn.lock,
pnpm-lock.yaml, node_modules), Python (dist-info, egg-info, pinned
requirements, poetry.lock, uv.lock), Rust (Cargo.lock, cargo-auditable
binaries) and Java archives (pom.properties). Each component has its
package URL (purl), version, supplier and licence where the source states
them, where it was found, and the dependencies the source records as edges.
The target is the document's metadata component; cradle is the tool.

Targets are those of "cradle scan": the live host by default, --root DIR
(a root filesystem or a source tree) or --image FILE; --file FILE
catalogues one file. Nothing in the target is executed or written.

Every file a package ships (dpkg's file lists, apk's installed database,
rpm's headers)
is hashed with SHA-512 as BSI TR-03183-2 asks; the package's hash is
SHA-512 over its files' sorted sha512sum lines (docs/sbom.md). --files
also lists each file as a component of its own; --no-file-hashes skips
hashing. --exclude DIR (repeatable) keeps the language catalogers out of
a tree that is not the target's installed software (a download or build
cache, a checkout); the SBOM lists it as cradle:excluded. --creator
names who creates the SBOM (an e-mail address or a URL), which
TR-03183-2 requires.

Formats (--format): cyclonedx-json (CycloneDX 1.6 JSON), cyclonedx-xml
(CycloneDX 1.6 XML), spdx-json (SPDX 3.0.1 JSON-LD), spdx23-json (SPDX 2.3
JSON, for older consumers). The SBOM holds no vulnerability data (BSI
TR-03183-2). Set SOURCE_DATE_EPOCH for a reproducible document: the same
target then gives the same bytes, serial number included. A package database that exists but cannot be read is
named on standard error and in the document (property cradle:gap).
See docs/sbom.md.

-o FILE writes the document atomically to FILE instead of standard output.

--sign writes, instead of the bare SBOM, an in-toto attestation (Statement
v1, predicate type https://cyclonedx.org/bom or https://spdx.dev/Document)
in a DSSE envelope signed with cradle's key (cradle key): its subject is
the --file or --image archive (SHA-256, SHA-512), --subject FILE, or for a
host or root filesystem the SHA-512 over its files' sha512sum lines.
"cradle sbom verify FILE" checks it; cosign and in-toto libraries can too.

"cradle sbom check FILE" rates an SBOM against TR-03183-2; "cradle sbom
diff A B" compares two.

Exit codes: 0 written; 2 usage or input error (unknown format, a target
that cannot be opened, a bad SOURCE_DATE_EPOCH or --creator); 1 internal
error; 130 interrupted (SIGINT, SIGTERM).`

func newSBOMCmd(env *Env) *cobra.Command {
	var tf targetFlags
	var format, out, file, creator string
	var files, noHashes, sign bool
	var key, subject string
	var exclude []string
	cmd := &cobra.Command{
		Use:   "sbom [--root DIR | --image FILE | --file FILE] [flags]",
		Short: "Write the software bill of materials (CycloneDX, SPDX) of a host, root filesystem or image",
		Long:  sbomLong,
		Example: `  cradle sbom -o host.cdx.json
  cradle sbom --root /srv/rootfs --format cyclonedx-json
  cradle sbom --root /srv/rootfs --format spdx-json --creator sbom@example.com
  cradle sbom --file ./bin/server
  SOURCE_DATE_EPOCH=1735689600 cradle sbom --image app.tar -o app.cdx.json
  cradle sbom --image app.tar --sign -o app.att.json
  cradle sbom check app.cdx.json --min-score 90`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := tf.spec(cmd)
			if err != nil {
				return err
			}
			if file != "" && !spec.IsHost() {
				return usageErr("--file cannot be combined with another target")
			}
			res, err := env.app().SBOM(cmd.Context(), app.SBOMInput{Target: spec, Format: format, File: file,
				Creator: creator, Files: files, NoFileHashes: noHashes, Exclude: exclude, Sign: sign, Key: key, Subject: subject})
			if err != nil {
				return err
			}
			for _, g := range res.Gaps {
				env.warnf("not in the SBOM: %s", g)
			}
			return output.WriteRaw(out, env.Stdout, res.Document)
		},
	}
	tf.register(cmd, targetOpts{what: "catalogue", noQuiet: true})
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "f", "cyclonedx-json", "SBOM format: "+strings.Join(app.SBOMFormats(), ", "))
	fl.StringVar(&file, "file", "", "catalogue the single `FILE` (a Go or Rust binary, a lockfile, a jar)")
	fl.StringVarP(&out, "output", "o", "", "write the SBOM to `FILE` (atomically) instead of stdout")
	fl.StringVar(&creator, "creator", "", "who creates the SBOM: an e-mail address (\"Name <a@b>\") or an http(s) URL")
	fl.BoolVar(&files, "files", false, "list every hashed file as a component of its own")
	fl.BoolVar(&noHashes, "no-file-hashes", false, "do not hash the packages' files (faster; no SHA-512 in the SBOM)")
	fl.StringArrayVar(&exclude, "exclude", nil, "do not walk the directory `DIR` of the target (absolute, as seen in the target; repeatable)")
	fl.BoolVar(&sign, "sign", false, "write a signed in-toto attestation (DSSE) holding the SBOM instead of the bare SBOM")
	fl.StringVar(&key, "key", "", "with --sign: sign with the ed25519 private key in `FILE` (default: $CRADLE_SIGNING_KEY, else the generated key)")
	fl.StringVar(&subject, "subject", "", "with --sign: the attestation is about `FILE` (default: the --file or --image catalogued, else the target's files)")
	cmd.AddCommand(newSBOMCheckCmd(env), newSBOMDiffCmd(env), newSBOMVerifyCmd(env))
	return cmd
}
