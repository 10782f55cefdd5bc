package cli

import (
	"strings"
	"testing"
)

func TestFimWalkFlags(t *testing.T) {
	root, db, mustRun := fimFixture(t)
	for _, args := range [][]string{{"--nice", "20"}, {"--nice", "-1"}, {"--max-rate", "fast"}} {
		_, stderr := mustRun(2, append([]string{"fim", "init", "--root", root, "--db", db}, args...)...)
		if !strings.Contains(stderr, args[0]) {
			t.Errorf("%v: %s", args, stderr)
		}
	}
	mustRun(0, "fim", "init", "--root", root, "--db", db, "--change-ref", "C", "--one-file-system", "--max-rate", "10M")
	out, _ := mustRun(0, "fim", "check", "--root", root, "--db", db, "--one-file-system", "--max-rate", "10M", "--format", "json")
	if d := decodeFim(t, out); d.Summary.Entries == 0 {
		t.Errorf("check: %+v", d)
	}
	mustRun(2, "fim", "show", "--root", root, "--db", db, "--max-rate", "10M") // show does not walk
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 50 << 20: "50.0 MiB", 3 << 40: "3.0 TiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("%d: %q", n, got)
		}
	}
}
