#!/usr/bin/env bash
# Installs (once per package-lock.json) the independent CSAF validator the
# CSAF tests run — @secvisogram/csaf-validator-lib, the OASIS CSAF 2.0
# schema and mandatory tests, on the machine's Node.js — and prints the
# path of its validate.mjs (export it as CRADLE_TEST_CSAF_VALIDATOR).
# The copy lives in the fixture cache, keyed by the lock file's digest, so
# the work tree never gets a node_modules and a changed lock reinstalls.
set -euo pipefail
src=$(cd "$(dirname "$0")/csaf-validator" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || {
	echo "fixture-csaf-validator: node and npm are needed (apt-get install nodejs npm)" >&2
	exit 1
}
key=$(sha256sum "$src/package-lock.json" | cut -c1-16)
dir=${CRADLE_FIXTURES:-/var/cache/cradle-fixtures}/csaf-validator/$key
mkdir -p "$(dirname "$dir")"
exec 9>"$(dirname "$dir")/.lock"
flock 9
if [ ! -f "$dir/.stamp" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$src/package.json" "$src/package-lock.json" "$src/validate.mjs" "$dir/"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
	touch "$dir/.stamp"
fi
cp "$src/validate.mjs" "$dir/validate.mjs" # the script may change without the lock
echo "$dir/validate.mjs"
