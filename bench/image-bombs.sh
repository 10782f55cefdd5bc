#!/usr/bin/env bash
# Opens the image bombs of internal/target/image_bomb_linux_test.go with
# the default limits, each in a child process, and prints per bomb the
# archive size, wall and CPU time, peak RSS (VmHWM) and the error. The
# test fails if a bomb is not refused (or, within the limits, not opened),
# if peak RSS reaches 1 GiB, or if anything is left in $TMPDIR.
#   bench/image-bombs.sh               # all bombs
#   BOMB=deep bench/image-bombs.sh     # the bombs whose name contains "deep"
set -euo pipefail
cd "$(dirname "$0")/.."
CRADLE_TEST_BOMBS=1 CRADLE_TEST_BOMB=${BOMB:-} go test -count=1 -timeout 60m -run '^TestImageBombs$' -v ./internal/target |
	grep -E 'byte archive|^(---|===) |^(ok|FAIL|PASS)' | grep -v '^=== RUN'
