#!/usr/bin/env bash
# Builds cradle's release artifacts into OUT_DIR: static binaries for
# linux/amd64, linux/arm64 and windows/amd64, .deb and .rpm packages, an
# OCI image layout tar and SHA256SUMS (docs/release.md).
#
#   scripts/release.sh [--snapshot] OUT_DIR
#
# Without --snapshot the checkout must be clean and exactly at a vX.Y.Z tag.
# SOURCE_DATE_EPOCH, if set, replaces the commit time in every artifact.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

snapshot=()
if [ "${1:-}" = --snapshot ]; then
	snapshot=(-snapshot)
	shift
fi
[ $# -eq 1 ] || { echo "usage: $0 [--snapshot] OUT_DIR" >&2; exit 2; }

# The tool is built like any Go program; only the artifacts it builds
# are pinned (see internal/release).
tool=$(mktemp -d)
trap 'rm -rf "$tool"' EXIT
CGO_ENABLED=0 go build -o "$tool/cradle-release" ./cmd/cradle-release
"$tool/cradle-release" -C . "${snapshot[@]}" -out "$1"
