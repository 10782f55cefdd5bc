#!/usr/bin/env bash
# Downloads (once) the SCAP Security Guide content the SCAP tests and
# bench/scap-vs-oscap.sh evaluate, and prints the directory:
#
#   $dir/0.1.65/  Debian 12's ssg-debian + ssg-debderived (Debian 11
#                 content: ssg-debian11-ds.xml)
#   $dir/0.1.76/  Debian 13's ssg-debian + ssg-debderived (ssg-debian12-ds.xml,
#                 ssg-ubuntu2404-ds.xml, ...)
#
# The datastreams are under $dir/<version>/root/usr/share/xml/scap/ssg/content/.
# Each directory holds the .deb files and their extracted trees
# (dpkg-deb -x). The 0.1.65 packages come from this machine's apt
# (bookworm); the 0.1.76 ones from trixie through a private apt state
# directory, so the machine's apt sources and lists are never changed.
# Idempotent: a stamp file per version records what was fetched.
set -euo pipefail
dir=${CRADLE_FIXTURES:-/var/cache/cradle-fixtures}/scap
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

mirror=$( (cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true) |
	awk '($1 == "URIs:" || $1 == "deb") && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
mirror=${mirror%/}
mirror=${mirror:-http://deb.debian.org/debian}

# extract VERSION DIR: unpacks every .deb of DIR into DIR/root.
extract() {
	local d=$1
	rm -rf "$d/root"
	mkdir -p "$d/root"
	for deb in "$d"/*.deb; do
		dpkg-deb -x "$deb" "$d/root"
	done
}

# have VERSION: true when VERSION's stamp is present and its datastreams exist.
have() {
	[ -f "$dir/$1/.stamp" ] && [ -d "$dir/$1/root/usr/share/xml/scap/ssg/content" ]
}

# 0.1.65: the bookworm packages, through the machine's own apt.
v=0.1.65
if ! have $v; then
	rm -rf "$dir/$v.tmp"
	mkdir -p "$dir/$v.tmp"
	(cd "$dir/$v.tmp" && apt-get -o APT::Sandbox::User=root download -q "ssg-debian=$v-*" "ssg-debderived=$v-*" >&2 2>&1 ||
		apt-get -o APT::Sandbox::User=root download -q ssg-debian ssg-debderived >&2)
	extract "$dir/$v.tmp"
	ls "$dir/$v.tmp/root/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml" >/dev/null
	rm -rf "${dir:?}/$v"
	mv "$dir/$v.tmp" "$dir/$v"
	(cd "$dir/$v" && ls *.deb) >"$dir/$v/.stamp"
fi

# 0.1.76: trixie's packages through a private apt configuration (sources,
# lists and cache under a temporary directory).
v=0.1.76
if ! have $v; then
	apt=$(mktemp -d)
	trap 'rm -rf "$apt"' EXIT
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$apt/etc/sources.list"
	opts=(-o "Dir::Etc::sourcelist=$apt/etc/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
		-o "Dir::State::status=/dev/null" -o "APT::Get::List-Cleanup=0")
	apt-get "${opts[@]}" -o APT::Sandbox::User=root -o Acquire::Languages=none -q update >&2
	rm -rf "$dir/$v.tmp"
	mkdir -p "$dir/$v.tmp"
	(cd "$dir/$v.tmp" && apt-get "${opts[@]}" -o APT::Sandbox::User=root download -q "ssg-debian=$v-*" "ssg-debderived=$v-*" >&2 2>&1 ||
		apt-get "${opts[@]}" -o APT::Sandbox::User=root download -q ssg-debian ssg-debderived >&2)
	extract "$dir/$v.tmp"
	ls "$dir/$v.tmp/root/usr/share/xml/scap/ssg/content/ssg-debian12-ds.xml" \
		"$dir/$v.tmp/root/usr/share/xml/scap/ssg/content/ssg-ubuntu2404-ds.xml" >/dev/null
	rm -rf "${dir:?}/$v"
	mv "$dir/$v.tmp" "$dir/$v"
	(cd "$dir/$v" && ls *.deb) >"$dir/$v/.stamp"
fi
echo "$dir"
