#!/usr/bin/env bash
# The example appliance's CRA flow, end to end, with the cradle on PATH:
#
#   run.sh OUTDIR [APPLIANCE_ROOT]
#
# product file -> classification -> baseline scan -> fix (preview, apply)
# on a copy of the appliance tree -> scan again -> SBOM (signed) -> offline
# vulnerability database and scan -> a case for an actively exploited
# vulnerability with its Article 14 clocks -> CSAF advisory -> evidence
# pack, built and verified.
#
# APPLIANCE_ROOT (argument or environment) is a Debian root filesystem,
# by default the one scripts/fixture-appliance.sh builds. It is only read:
# fixes are applied to a copy under OUTDIR. Everything, cradle's own state
# ($CRADLE_HOME: keys, change log, fix runs, cases, vulnerability database)
# included, is written under OUTDIR, which must be new or empty.
#
# Exit codes: 0 the flow ran and every step gave the result it should;
# 2 usage error; otherwise the exit code of the step that failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "usage: $0 OUTDIR [APPLIANCE_ROOT]" >&2
	exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
out=$1
root=${2:-${APPLIANCE_ROOT:-/var/cache/cradle-fixtures/appliance-bookworm}}

command -v cradle >/dev/null || { echo "error: no cradle on PATH" >&2; exit 2; }
[ -f "$root/var/lib/dpkg/status" ] || {
	echo "error: $root is not a Debian root filesystem (no var/lib/dpkg/status); build one with scripts/fixture-appliance.sh" >&2
	exit 2
}
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(cd "$root" && pwd)
if [ -n "$(ls -A "$out")" ]; then
	echo "error: $out is not empty; the flow needs a fresh directory" >&2
	exit 2
fi
case "$out/" in "$root/"*)
	echo "error: OUTDIR must not be inside the appliance tree" >&2
	exit 2
	;;
esac

export CRADLE_HOME="$out/home"
release=1.0.0
product=kestrel-edge-gateway
tree="$out/rootfs"

step() { printf '\n== %s\n' "$*"; }

# expect CODES CMD...: run CMD; its exit code must be one of CODES
# (comma-separated, e.g. 0,3 where findings are possible).
expect() {
	local codes=$1 rc=0
	shift
	"$@" || rc=$?
	case ",$codes," in
	*",$rc,"*) ;;
	*)
		echo "error: exit code $rc (expected $codes): $*" >&2
		exit $((rc == 0 ? 1 : rc))
		;;
	esac
}

# has WORDS...: whether this cradle has the (sub)command, for the steps
# whose commands are newer than some builds.
has() {
	local parent=(cradle) last
	last=${*: -1}
	[ $# -gt 1 ] && parent+=("${@:1:$#-1}")
	# The help is read whole first: grep -q exiting early must not fail
	# the pipeline (pipefail) with a SIGPIPE.
	local help
	help=$("${parent[@]}" --help 2>/dev/null) || return 1
	grep -Eq "^  $last( |$)" <<<"$help"
}

# case_ids_with_alias FILE ALIAS KEEP: the ids of the cases in the
# case_list JSON FILE that name ALIAS, except KEEP.
case_ids_with_alias() {
	awk -v alias="\"$2\"" -v keep="$3" '
		/^      "id": "CASE-/ { id = $2; gsub(/[",]/, "", id) }
		index($0, alias) && id != "" && id != keep { print id }
	' "$1" | sort -u
}

# An RFC 3339 UTC time the given number of hours ago.
hours_ago() { date -u -d "-$1 hours" +%Y-%m-%dT%H:%M:%SZ; }

cradle version
echo "appliance: $root"
echo "output:    $out"

step "1. product file: cradle init, then the example's own cradle.yaml"
mkdir -p "$out/init"
# What a team starts from: the starter file with the answers given as flags.
cradle init --non-interactive --file "$out/init/cradle.yaml" \
	--product "$product" --manufacturer "Kestrel Networks GmbH" \
	--email psirt@example.com --website https://www.example.com \
	--version "$release" --support-years 7 --category I.12 \
	--target rootfs --profile product \
	--purpose "Connect a branch office network to the internet"
# The completed file (kept in the product's repository) is the one used below.
cp -R "$here/cradle.yaml" "$here/waivers.yaml" "$here/risk.yaml" "$here/records" "$out/"
cd "$out"

step "2. classification (Annex III/IV), conformity assessment routes, risk assessment"
cradle classify --file cradle.yaml
cradle classify --file cradle.yaml --format json -o classify.json
if has risk; then
	# The risk assessment (Art. 13(2)-(4)) the evidence pack builds on.
	cradle risk check --file risk.yaml --config cradle.yaml
fi

step "3. baseline scan of the appliance as delivered (read-only)"
mkdir -p scan
expect 0,3 cradle scan --root "$root" --profile product --quiet --fail-on none \
	--format json -o scan/before.json
expect 0,3 cradle scan --root "$root" --profile product --quiet --no-color >scan/before.txt
tail -n 3 scan/before.txt

step "4. fix preview on a copy of the tree"
cp -a "$root" "$tree"
mkdir -p fix
# Exit 3: fixes refused because of observed impact (the nightly backup
# needs the postgres shell) or deferred to the image build.
expect 0,3 cradle fix --root "$tree" --profile product --quiet --no-diff >fix/plan.txt
expect 0,3 cradle fix --root "$tree" --profile product --quiet --format json -o fix/plan.json
grep -E '^Rules:' fix/plan.txt

step "5. fix apply (journaled, signed change log)"
# Nothing runs in an offline tree, so the impact of kernel module and
# service fixes cannot be observed: accepted for the image.
expect 0,3 cradle fix --root "$tree" --profile product --quiet --apply \
	--accept-unknown all --change-ref "KEG-REL-$release" \
	--reason "release $release hardening" --format json -o fix/apply.json
cradle runs --root "$tree"
cradle log verify --root "$tree"

step "6. image build steps the baseline asks for (no native fix)"
# Host keys and the machine ID are made on first boot, per device; the
# appliance ships no cloud-init, so its sudo rule goes too.
rm -f "$tree"/etc/ssh/ssh_host_*_key "$tree"/etc/ssh/ssh_host_*_key.pub
: >"$tree/etc/machine-id"
rm -f "$tree/etc/sudoers.d/90-cloud-init-users"
# Changes made outside cradle are recorded in the same signed change log.
cradle log append --root "$tree" --change-ref "KEG-REL-$release" \
	--reason "image build: SSH host keys and machine ID made on first boot; cloud-init sudo rule removed"

step "7. scan again: the release gate (high and critical), with the accepted waivers"
expect 0 cradle scan --root "$tree" --profile product --quiet --waivers waivers.yaml \
	--fail-on high --format json -o scan/after.json
expect 0,3 cradle scan --root "$tree" --profile product --quiet --no-color \
	--waivers waivers.yaml >scan/after.txt
tail -n 3 scan/after.txt
cradle scan --root "$tree" --profile product --quiet --waivers waivers.yaml \
	--fail-on none --format sarif -o scan/after.sarif

step "8. release state: approved baseline, drift, file integrity, change log"
mkdir -p integrity
cradle baseline approve --root "$tree" --profile product --waivers waivers.yaml --quiet \
	--change-ref "KEG-REL-$release" --reason "release $release approved"
expect 0 cradle drift --root "$tree" --quiet --format json -o integrity/drift.json
cradle fim init --root "$tree" --quiet --change-ref "KEG-REL-$release" \
	--reason "release $release file integrity baseline" --format json -o integrity/fim-init.json
expect 0 cradle fim check --root "$tree" --quiet --format json -o integrity/fim-check.json
cradle log verify --root "$tree"
cradle log --root "$tree" --format json >integrity/changelog.json

step "9. SBOM (CycloneDX 1.6) and its signed attestation"
mkdir -p sbom
cradle sbom --root "$tree" --creator psirt@example.com -o sbom/sbom.cdx.json
cradle sbom --root "$tree" --creator psirt@example.com --sign -o sbom/sbom.att.json
cradle sbom verify sbom/sbom.att.json

step "10. offline vulnerability database from the example's OSV records"
cradle vuln db import "$here/osv"

step "11. the shipped release against today's vulnerability database"
# The records are newer than the release: the gate fails (exit 3,
# expected) and vulnerability handling (Annex I Part II) begins.
mkdir -p vuln
cradle vuln scan sbom/sbom.cdx.json --format json -o vuln/report.json
cradle vuln scan sbom/sbom.cdx.json --format cyclonedx -o vuln/report.cdx.json
cradle vuln scan sbom/sbom.cdx.json --format openvex -o vuln/triage.openvex.json
expect 3 cradle vuln scan sbom/sbom.cdx.json --fail-on high

step "12. vulnerability case: actively exploited, Article 14 clocks"
mkdir -p case
nginx_purl=$(grep -o '"purl": *"pkg:deb/debian/nginx-light@[^"]*"' sbom/sbom.cdx.json |
	head -n 1 | sed 's/.*"\(pkg:[^"]*\)"$/\1/')
[ -n "$nginx_purl" ] || { echo "error: nginx-light is not in the SBOM" >&2; exit 1; }
# A customer's security team reported attacks 30 hours ago; the PSIRT
# reproduced it and confirmed the exploitation two hours later.
cradle case new --title "Request smuggling in the web console's nginx exploited against gateways" \
	--product "$product" --version "$release" \
	--reporter soc@customer.example --channel email --received "$(hours_ago 30)" \
	--alias CRADLE-EXAMPLE-2026-0001 --component "$nginx_purl" \
	--description "A crafted chunked request body lets a remote, unauthenticated client reach console locations the access rules deny." \
	--format json -o case/new.json
case_id=$(sed -n 's/^ *"id": "\(CASE-[0-9-]*\)".*/\1/p' case/new.json | head -n 1)
[ -n "$case_id" ] || { echo "error: no case id in case/new.json" >&2; exit 1; }
echo "case: $case_id"
cradle case update "$case_id" --status triage \
	--cvss3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H --note "reproduced on $release"
cradle case update "$case_id" --status confirmed --exploited --aware "$(hours_ago 28)" \
	--mitigation "Console access limited to the internal network by a configuration update pushed on the update channel." \
	--user-actions "Do not expose the web console to the internet; install update 1.0.1 when it is offered." \
	--note "customer logs show exploitation in the wild"
# A person submitted the early warning on ENISA's single reporting
# platform (cradle never submits); the case records when, and the
# platform's reference (invented here).
cradle case update "$case_id" --report "early_warning=$(hours_ago 26),SRP-EXAMPLE-0001" \
	--note "early warning submitted on the single reporting platform"
cradle case show "$case_id"
cradle case show "$case_id" --format json -o case/confirmed.json

if has case import; then
	step "13. cases for the vulnerability scan's findings (cradle case import)"
	cradle case import vuln/report.json --config cradle.yaml --version "$release" \
		--format json -o case/import.json
	# The nginx finding is the customer's case: close the imported twin.
	cradle case list --format json -o case/after-import.json
	for dup in $(case_ids_with_alias case/after-import.json CRADLE-EXAMPLE-2026-0001 "$case_id"); do
		cradle case close "$dup" --resolution duplicate --reason "same vulnerability as $case_id (customer report)"
	done
	cradle case list
else
	step "13. (skipped: this cradle has no 'case import')"
fi

if has advisory; then
	step "14. draft CSAF 2.0 advisory and VEX: what users must know and do (Art. 14(8))"
	cradle advisory "$case_id" --config cradle.yaml -o csaf
	find csaf -type f | sort
else
	step "14. (skipped: this cradle has no 'advisory' command)"
fi

step "15. the fix: release 1.0.1; the final report's clock starts"
fixed=()
if grep -q -- '--fixed-version' <<<"$(cradle case update --help)"; then
	fixed=(--fixed-version 1.0.1)
fi
cradle case update "$case_id" --status fixing --note "nginx 1.22.1-9+deb12u10 in the 1.0.1 image"
cradle case update "$case_id" --status fixed "${fixed[@]}" --mitigated "$(hours_ago 1)" \
	--mitigation "Release 1.0.1 ships nginx 1.22.1-9+deb12u10, which fixes the flaw; offered to every gateway on the stable channel." \
	--user-actions "Install 1.0.1 (automatic updates do so within a day); until then keep the web console off the internet."
cradle case show "$case_id"
cradle case show "$case_id" --format json -o case/case.json
cradle case list --format json -o case/list.json
if has advisory; then
	cradle advisory "$case_id" --config cradle.yaml -o csaf --final --provider www
	find www -type f | sort
fi

if has evidence; then
	step "16. evidence pack for release $release"
	inputs=(--input scan=scan/after.json --input fix=fix/apply.json
		--input drift=integrity/drift.json --input fim=integrity/fim-check.json
		--input sbom=sbom/sbom.cdx.json --input vuln=vuln/report.json
		--input vex=vuln/triage.openvex.json --input changelog=integrity/changelog.json)
	if [ -d csaf ]; then inputs+=(--input advisories=csaf); fi
	# Builds that take the cases (case_list) show their Article 14 clocks.
	if grep -qw 'cases' <<<"$(cradle evidence build --help)"; then
		inputs+=(--input cases=case/list.json)
	fi
	cradle evidence build --config cradle.yaml --release "$release" --out evidence \
		--zip evidence.zip "${inputs[@]}"
	step "17. evidence pack verification (directory and zip)"
	cradle evidence verify evidence
	cradle evidence verify evidence.zip
else
	step "16-17. (skipped: this cradle has no 'evidence' command)"
fi

step "done"
echo "everything is under $out"
