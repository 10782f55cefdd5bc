#!/usr/bin/env bash
# Reference comparison of `cradle vuln scan` with govulncheck (issue 12,
# acceptance): the Go vulnerability database (module golang.org/x/vulndb,
# its data/osv folder) is imported with `cradle vuln db import`; the same
# folder is indexed with vulndb's indexdb tool for govulncheck; a test
# program built with golang.org/x/text v0.3.7 and github.com/gin-gonic/gin
# v1.7.0 is scanned by both:
#
#   cradle vuln scan BINARY --format json
#   govulncheck -db file://… -mode binary -scan module -format json BINARY
#
# and the (OSV id, module, fixed version) sets must be equal. Prints the
# import time, the database size and both sets' sizes; exits 1 on a
# difference. Run on demand (not in .ci/run): the first run builds
# govulncheck and indexdb into $CACHE (minutes), later runs take seconds.
#
#   bench/vuln-vs-govulncheck.sh [VULNDB_VERSION]
set -euo pipefail

vulndb=${1:-v0.0.0-20261105234957-e22db6528018}
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${CACHE:-$HOME/.cache/cradle-bench}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH=/usr/local/go/bin:$PATH GOFLAGS=-mod=mod

mkdir -p "$cache/bin"
[ -x "$cache/bin/govulncheck" ] || GOBIN=$cache/bin go install golang.org/x/vuln/cmd/govulncheck@v1.9.0
[ -x "$cache/bin/indexdb" ] || GOBIN=$cache/bin go install "golang.org/x/vulndb/cmd/indexdb@$vulndb"
osvdir=$(go mod download -json "golang.org/x/vulndb@$vulndb" | jq -r .Dir)/data/osv
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/cradle" ./cmd/cradle)

# The test program.
mkdir "$work/prog"
cat >"$work/prog/main.go" <<'GO'
package main

import (
	"fmt"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"
)

func main() {
	fmt.Println(gin.Version, language.Make("en-US"))
}
GO
printf 'module example.com/vulnprog\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.7.0\n\tgolang.org/x/text v0.3.7\n)\n' >"$work/prog/go.mod"
(cd "$work/prog" && go mod tidy && CGO_ENABLED=0 go build -o "$work/vulnprog" .)
grep -E 'gin-gonic/gin v1.7.0|x/text v0.3.7' "$work/prog/go.mod" >/dev/null || { echo "go mod tidy changed the pinned versions" >&2; exit 1; }

records=$(ls "$osvdir" | wc -l)
start=$(date +%s.%N)
"$work/cradle" vuln db import --db "$work/osv.db" "$osvdir" >/dev/null
took=$(echo "$(date +%s.%N) - $start" | bc)
size=$(stat -c %s "$work/osv.db")
printf 'cradle vuln db import: %d records in %.2f s, database %.1f MB\n' "$records" "$took" "$(echo "$size/1000000" | bc -l)"

"$cache/bin/indexdb" -vulns "$osvdir" -out "$work/gvdb"

# govulncheck exits 3 when it finds vulnerabilities.
"$work/cradle" vuln scan "$work/vulnprog" --db "$work/osv.db" --format json >"$work/cradle.json"
"$cache/bin/govulncheck" -db "file://$work/gvdb" -mode binary -scan module -format json "$work/vulnprog" >"$work/gv.json" || [ $? -eq 3 ]

jq -r '.findings[] | [.id, .package.name, (.fixed_versions[0] // "")] | @tsv' "$work/cradle.json" | sort -u >"$work/cradle.tsv"
jq -r 'select(.finding) | .finding | [.osv, .trace[0].module, ((.fixed_version // "") | ltrimstr("v"))] | @tsv' "$work/gv.json" | sort -u >"$work/gv.tsv"
echo "cradle: $(wc -l <"$work/cradle.tsv") findings; govulncheck: $(wc -l <"$work/gv.tsv") findings"
if diff -u "$work/gv.tsv" "$work/cradle.tsv"; then
	echo "same OSV ids, modules and fixed versions"
else
	echo "DIFFERENT (- govulncheck, + cradle)" >&2
	exit 1
fi
