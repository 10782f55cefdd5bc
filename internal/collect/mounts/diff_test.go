package mounts

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// Field material with the traps of fstab(5): octal escapes (\040 space,
// \011 tab, \134 backslash, out-of-range and short ones), tags, options
// with quotes and '=' values, comments with leading blanks, trailing
// comments, missing fields, CRLF endings, vertical tabs.
var (
	diffSpecs = []string{"UUID=0a1b-2c3d", "LABEL=My\\040Disk", "/dev/sda1", "tmpfs", "proc", "none", "//srv/share",
		"/dev/disk/by-id/x\\134y", "PARTUUID=1234", "server:/export\\011tab", "a\\400b", "\\04"}
	diffDirs  = []string{"/", "/tmp", "/var/tmp/", "/home", "/mnt/my\\040dir", "/srv//data", "none", "swap", "/a\\134b", "/dev/shm", "/x\\012y"}
	diffTypes = []string{"ext4", "tmpfs", "xfs", "swap", "nfs", "auto", "cifs", "proc", "ext\\0404"}
	diffOpts  = []string{"defaults", "nodev,nosuid,noexec", "rw,relatime", "noauto,x-systemd.automount", "size=10%,mode=1777",
		`context="system_u:object_r:tmp_t:s0"`, "uid=1000,gid=1000", "ro,", "user\\054x", "defaults,nodev"}
)

type findmntFS struct {
	Source  *string `json:"source"`
	Target  *string `json:"target"`
	FSType  *string `json:"fstype"`
	Options *string `json:"options"`
	Freq    any     `json:"freq"`
	Passno  any     `json:"passno"`
}

// TestDifferentialFindmnt writes seeded random fstab files into the
// sandbox and requires Parse to yield the entries the fixture's findmnt
// (libmount) reads from them, field by field.
func TestDifferentialFindmnt(t *testing.T) {
	s := targettest.NewSandbox(t)
	if !s.Has("usr/bin/findmnt") && !s.Has("bin/findmnt") {
		targettest.Missing(t, "the fixture has no findmnt")
	}
	seed := targettest.Seed(t, 20261205)
	rng := rand.New(rand.NewPCG(seed, 0))
	const cases = 150
	agree := 0
	for n := range cases {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			switch rng.IntN(10) {
			case 0:
				b.WriteString([]string{"# comment", "   # indented comment", "", "   ", "\t#tab"}[rng.IntN(5)])
			default:
				f := []string{diffSpecs[rng.IntN(len(diffSpecs))], diffDirs[rng.IntN(len(diffDirs))],
					diffTypes[rng.IntN(len(diffTypes))], diffOpts[rng.IntN(len(diffOpts))], strconv.Itoa(rng.IntN(2)), strconv.Itoa(rng.IntN(3))}
				f = f[:2+rng.IntN(5)] // missing trailing fields
				sep := []string{" ", "\t", "  \t "}[rng.IntN(3)]
				b.WriteString([]string{"", "  ", "\t"}[rng.IntN(3)] + strings.Join(f, sep))
				if rng.IntN(8) == 0 {
					b.WriteString(" # trailing")
				}
			}
			b.WriteString([]string{"\n", "\n", "\n", "\r\n"}[rng.IntN(4)])
		}
		body := b.String()
		s.Write(t, "etc/fstab.test", body, 0o644)
		out, errOut, err := s.Run(t.Context(), "findmnt", "-J", "-l", "--tab-file", "/etc/fstab.test", "-o", "SOURCE,TARGET,FSTYPE,OPTIONS,FREQ,PASSNO")
		var doc struct {
			Filesystems []findmntFS `json:"filesystems"`
		}
		if len(out) > 0 {
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("case %d: findmnt JSON: %v\n%s", n, err, out)
			}
		} else if err == nil {
			t.Fatalf("case %d: findmnt printed nothing: %s", n, errOut)
		}
		var want []string
		for _, fs := range doc.Filesystems {
			// cradle normalizes what libmount keeps as written: mount
			// points are cleaned ("/var/tmp/" is /var/tmp, as the
			// kernel resolves it) and missing options read "defaults".
			dir := deref(fs.Target)
			if dir != "none" && dir != "swap" {
				dir = CleanDir(dir)
			}
			opts := deref(fs.Options)
			if opts == "" {
				opts = "defaults"
			}
			want = append(want, fmt.Sprintf("%q %q %q %q %q %q", deref(fs.Source), dir, deref(fs.FSType), opts, num(fs.Freq), num(fs.Passno)))
		}
		var got []string
		for _, e := range Parse([]byte(body), "/etc/fstab.test", "fstab") {
			got = append(got, fmt.Sprintf("%q %q %q %q %q %q", e.Spec, e.Dir, e.Type, strings.Join(e.Options, ","), strconv.Itoa(e.Freq), strconv.Itoa(e.Pass)))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("case %d (CRADLE_DIFF_SEED=%d) fstab %q:\nfindmnt:\n%s\ncradle:\n%s\n%s", n, seed, body, strings.Join(want, "\n"), strings.Join(got, "\n"), errOut)
			continue
		}
		agree++
	}
	t.Logf("findmnt --tab-file: %d of %d generated fstabs agree (seed %d)", agree, cases, seed)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(v any) string {
	if v == nil {
		return "0"
	}
	return fmt.Sprint(v)
}
