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
// boundary). Most layouts live in their own directory and are read in one
// run of the library (pwquality_read_config with that file: it reads
// "<file>.d" the same way); the last few are written to
// /etc/security itself and read with the library's default. A missing
// main file is an error only for an explicit file (PWQ_ERROR_CFGFILE_OPEN,
// the settings read before it still apply). CRADLE_DIFF_SEED replays a
// seed, CRADLE_PWQUALITY_CASES sets the number of cases.
func TestPwqualityDifferential(t *testing.T) {
	s := targettest.NewSandbox(t)
	if !s.Has("usr/bin/python3") || !s.Has("usr/lib/x86_64-linux-gnu/libpwquality.so.1") {
		targettest.Missing(t, "fixture lacks python3 or libpwquality1")
	}
	seed := targettest.Seed(t, 20261205)
	cases := 400
	if v := os.Getenv("CRADLE_PWQUALITY_CASES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("CRADLE_PWQUALITY_CASES: %v", err)
		}
		cases = n
	}
	const atDefault = 5 // cases written to /etc/security and read one by one
	s.Write(t, "tmp/cradle-pwquality-probe.py", pwqualityProbe, 0o644)
	tg, err := target.OpenRootFS(s.Root)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type pwqCase struct {
		main, layout string
		cfg          *Config
		ours         map[string]int
	}
	var all []pwqCase
	var batch []map[string]any
	stops := 0
	check := func(i int, c pwqCase, lib pwqProbe) {
		t.Helper()
		fail := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("seed %d case %d (replay: CRADLE_DIFF_SEED=%d): %s\n%s", seed, i, seed, fmt.Sprintf(format, a...), c.layout)
		}
		rv := lib.RV
		if rv == -3 && len(c.cfg.Missing) > 0 && c.cfg.Stopped == nil {
			rv = 0 // PWQ_ERROR_CFGFILE_OPEN: an explicit main file is missing
		}
		if (rv != 0) != (c.cfg.Stopped != nil) {
			fail("libpwquality read_config returned %d, cradle stopped at %v", lib.RV, c.cfg.Stopped)
		}
		if c.cfg.Stopped != nil {
			stops++
		}
		for k, v := range lib.Settings {
			if c.ours[k] != v {
				fail("%s: libpwquality %d, cradle %d", k, v, c.ours[k])
			}
		}
		minlen := c.ours["minlen"]
		// -14 is PWQ_ERROR_MIN_LENGTH; a score >= 0 accepts.
		if got := lib.Check[strconv.Itoa(minlen-1)]; got != -14 {
			fail("a %d-character password: libpwquality returned %d, want too short (minlen %d)", minlen-1, got, minlen)
		}
		if got := lib.Check[strconv.Itoa(minlen)]; got < 0 {
			fail("a %d-character password: libpwquality returned %d, want accepted (minlen %d)", minlen, got, minlen)
		}
	}
	for i := range cases {
		dir := fmt.Sprintf("tmp/pwq/%d/", i)
		main := "/" + dir + "pwquality.conf"
		if i >= cases-atDefault {
			dir, main = "etc/security/", "/etc/security/pwquality.conf"
			s.Remove(t, "etc/security/pwquality.conf.d")
			s.Remove(t, "etc/security/pwquality.conf")
		}
		var layout strings.Builder
		for _, f := range randomPwqualityLayout(r) {
			rel := dir + strings.TrimPrefix(f.path, "etc/security/")
			if f.dir {
				s.Mkdir(t, rel, 0o755)
			} else {
				s.Write(t, rel, f.body, 0o644)
			}
			fmt.Fprintf(&layout, "--- %s\n%s", rel, f.body)
		}
		cfg, err := Collect(context.Background(), tg, Source{Syntax: Pwquality, Paths: []string{main}})
		if err != nil {
			t.Fatalf("seed %d case %d: %v", seed, i, err)
		}
		c := pwqCase{main: main, layout: layout.String(), cfg: cfg, ours: pwqEffective(t, cfg)}
		lengths := []int{c.ours["minlen"] - 1, c.ours["minlen"]}
		if i < cases-atDefault {
			all = append(all, c)
			batch = append(batch, map[string]any{"cfg": main, "lengths": lengths})
			continue
		}
		lib := runPwqualityProbe(t, s, []map[string]any{{"cfg": nil, "lengths": lengths}})
		check(i, c, lib[0])
	}
	for i, lib := range runPwqualityProbe(t, s, batch) {
		check(i, all[i], lib)
	}
	if stops == 0 || stops == cases {
		t.Errorf("%d of %d cases stopped the read: the generator does not cover both", stops, cases)
	}
}

// pwqEffective is cradle's effective integer settings, defaults included.
func pwqEffective(t *testing.T, cfg *Config) map[string]int {
	t.Helper()
	ours := map[string]int{}
	for k, d := range PwqualityDefaults {
		ours[k] = d
		e := cfg.Lookup("", k, false, false)
		switch {
		case e == nil:
		case pwqSettings[k] == pwqSet:
			ours[k] = 1
		default:
			v, err := strconv.Atoi(e.Value)
			if err != nil {
				t.Fatalf("%s = %q", k, e.Value)
			}
			ours[k] = v
		}
	}
	return ours
}

// runPwqualityProbe runs the probe on reqs in the sandbox.
func runPwqualityProbe(t *testing.T, s *targettest.Sandbox, reqs []map[string]any) []pwqProbe {
	t.Helper()
	b, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	s.Write(t, "tmp/cradle-pwquality-requests.json", string(b), 0o644)
	out, stderr, err := s.Run(context.Background(), "python3", "/tmp/cradle-pwquality-probe.py", "/tmp/cradle-pwquality-requests.json")
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, stderr)
	}
	var res []pwqProbe
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(reqs) {
		t.Fatalf("probe output %q: %v (%d results for %d requests)", out, err, len(res), len(reqs))
	}
	return res
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
