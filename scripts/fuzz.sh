#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short time each.
set -euo pipefail
fuzztime=${1:-8s}
n=0
while IFS= read -r file; do
	pkg=./$(dirname "$file")
	for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
		echo "fuzz $pkg $fn"
		go test -run='^$' -fuzz="^${fn}\$" -fuzztime="$fuzztime" "$pkg" >/tmp/cradle-fuzz.log 2>&1 || { cat /tmp/cradle-fuzz.log; exit 1; }
		n=$((n + 1))
	done
done < <(grep -rl --include='*_test.go' -E '^func Fuzz' . | sort)
echo "$n fuzz targets ok"
