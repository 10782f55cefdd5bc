package kvconf

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

//go:embed testdata/pwquality_probe.py
var pwqualityProbe string

// pwqProbe is what testdata/pwquality_probe.py reports.
type pwqProbe struct {
	RV       int            `json:"rv"`
	Settings map[string]int `json:"settings"`
	Check    map[string]int `json:"check"`
}

// TestPwqualityDifferential writes seeded random pwquality.conf and
// pwquality.conf.d layouts into a sandbox of the Debian fixture and
// compares cradle's effective settings with libpwquality's own (the
// fixture's libpwquality1, called through python3's ctypes as pwscore
// does: pwquality_read_config, then pwquality_check at the minlen
// boundary). CRADLE_PWQUALITY_SEED replays a seed, CRADLE_PWQUALITY_CASES
// sets the number of cases.
func TestPwqualityDifferential(t *testing.T) {
	s := targettest.NewSandbox(t)
	if !s.Has("usr/bin/python3") || !s.Has("usr/lib/x86_64-linux-gnu/libpwquality.so.1") {
		t.Skip("fixture lacks python3 or libpwquality1")
	}
	seed := uint64(20261205)
	if v := os.Getenv("CRADLE_PWQUALITY_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CRADLE_PWQUALITY_SEED: %v", err)
		}
		seed = n
	}
	cases := 120
	if v := os.Getenv("CRADLE_PWQUALITY_CASES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("CRADLE_PWQUALITY_CASES: %v", err)
		}
		cases = n
	}
	s.Write(t, "tmp/cradle-pwquality-probe.py", pwqualityProbe, 0o644)
	tg, err := target.OpenRootFS(s.Root)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	stops := 0
	for i := range cases {
		files := randomPwqualityLayout(r)
		s.Remove(t, "etc/security/pwquality.conf.d")
		s.Remove(t, "etc/security/pwquality.conf")
		var layout strings.Builder
		for _, f := range files {
			if f.dir {
				s.Mkdir(t, f.path, 0o755)
			} else {
				s.Write(t, f.path, f.body, 0o644)
			}
			fmt.Fprintf(&layout, "--- %s\n%s", f.path, f.body)
		}
		cfg, err := Collect(context.Background(), tg, Source{Syntax: Pwquality, Paths: []string{"/etc/security/pwquality.conf"}})
		if err != nil {
			t.Fatalf("seed %d case %d: %v", seed, i, err)
		}
		minlen := PwqualityDefaults["minlen"]
		ours := map[string]int{}
		for k, d := range PwqualityDefaults {
			ours[k] = d
			if e := cfg.Lookup("", k, false, false); e != nil {
				if pwqSettings[k] == pwqSet {
					ours[k] = 1
				} else if ours[k], err = strconv.Atoi(e.Value); err != nil {
					t.Fatalf("seed %d case %d: %s = %q", seed, i, k, e.Value)
				}
			}
		}
		minlen = ours["minlen"]
		out, stderr, err := s.Run(context.Background(), "python3", "/tmp/cradle-pwquality-probe.py", strconv.Itoa(minlen-1), strconv.Itoa(minlen))
		if err != nil {
			t.Fatalf("probe: %v\n%s", err, stderr)
		}
		var lib pwqProbe
		if err := json.Unmarshal(out, &lib); err != nil {
			t.Fatalf("probe output %q: %v", out, err)
		}
		fail := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("seed %d case %d (replay: CRADLE_PWQUALITY_SEED=%d): %s\n%s", seed, i, seed, fmt.Sprintf(format, a...), layout.String())
		}
		if (lib.RV != 0) != (cfg.Stopped != nil) {
			fail("libpwquality read_config returned %d, cradle stopped at %v", lib.RV, cfg.Stopped)
		}
		if cfg.Stopped != nil {
			stops++
		}
		for k, v := range lib.Settings {
			if ours[k] != v {
				fail("%s: libpwquality %d, cradle %d", k, v, ours[k])
			}
		}
		// -14 is PWQ_ERROR_MIN_LENGTH; a score >= 0 accepts.
		if got := lib.Check[strconv.Itoa(minlen-1)]; got != -14 {
			fail("a %d-character password: libpwquality returned %d, want too short (minlen %d)", minlen-1, got, minlen)
		}
		if got := lib.Check[strconv.Itoa(minlen)]; got < 0 {
			fail("a %d-character password: libpwquality returned %d, want accepted (minlen %d)", minlen, got, minlen)
		}
	}
	if stops == 0 || stops == cases {
		t.Errorf("%d of %d cases stopped the read: the generator does not cover both", stops, cases)
	}
}

type pwqFile struct {
	path, body string
	dir        bool
}

// randomPwqualityLayout makes a pwquality.conf and drop-ins with the
// traps of libpwquality's reader: the main file read last, drop-in names
// it skips ("x.conf.conf", "x.conf~") or reads (".hidden.conf", upper
// case sorted first), blank-separated and case-folded names, comments
// anywhere, clamped values, set-only flags and lines that stop the read.
func randomPwqualityLayout(r *rand.Rand) []pwqFile {
	var out []pwqFile
	if r.IntN(6) > 0 {
		out = append(out, pwqFile{path: "etc/security/pwquality.conf", body: randomPwqualityBody(r)})
	}
	names := []string{"10-site.conf", "50-local.conf", "90-last.conf", "Z-upper.conf", ".hidden.conf",
		"x.conf.conf", "backup.conf~", "old.conf.bak", "README", "99.conf", "a.CONF"}
	for _, n := range names {
		if r.IntN(3) == 0 {
			out = append(out, pwqFile{path: "etc/security/pwquality.conf.d/" + n, body: randomPwqualityBody(r)})
		}
	}
	if r.IntN(8) == 0 {
		out = append(out, pwqFile{path: "etc/security/pwquality.conf.d/dir.conf", dir: true})
	}
	return out
}

func randomPwqualityBody(r *rand.Rand) string {
	keys := []string{"minlen", "minclass", "dcredit", "ucredit", "lcredit", "ocredit", "difok",
		"maxrepeat", "maxclassrepeat", "maxsequence", "dictcheck", "usercheck", "retry",
		"enforcing", "gecoscheck", "usersubstr", "enforce_for_root", "local_users_only"}
	var b strings.Builder
	for range r.IntN(5) {
		k := keys[r.IntN(len(keys))]
		switch r.IntN(4) {
		case 0:
			k = strings.ToUpper(k)
		case 1:
			k = strings.ToUpper(k[:1]) + k[1:]
		}
		v := strconv.Itoa(r.IntN(24) - 4)
		switch r.IntN(12) {
		case 0:
			v = "+" + strconv.Itoa(r.IntN(20))
		case 1:
			v = "0" + strconv.Itoa(r.IntN(9))
		}
		if strings.EqualFold(k, "enforce_for_root") || strings.EqualFold(k, "local_users_only") {
			v = []string{"", "0", "1", "no"}[r.IntN(4)]
		}
		var line string
		switch r.IntN(7) {
		case 0:
			line = k + "=" + v
		case 1:
			line = k + " " + v
		case 2:
			line = "\t" + k + "\t=\t" + v + "  # comment"
		case 3:
			line = "# " + k + " = " + v
		case 4:
			line = k + " = " + v + "#x"
		default:
			line = k + " = " + v
		}
		if v == "" {
			line = k
		}
		b.WriteString(line + "\n")
		if r.IntN(10) == 0 {
			b.WriteString("\n   \n# a comment line\n")
		}
	}
	if r.IntN(14) == 0 {
		// Lines that end libpwquality's read.
		b.WriteString([]string{"minlength = 12\n", "minlen = twelve\n", "minlen =\n", "minlen = \"12\"\n",
			"minlen = = 12\n", "minlen = 12 14\n", "difok = 99999999999\n", "minlen = " + strings.Repeat("1", 1100) + "\n"}[r.IntN(8)])
		b.WriteString("minlen = 30\n")
	}
	return b.String()
}
