package systemd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

var (
	diffUnits   = []string{"cxa.service", "cxb.service", "cxc.service", "cxd.socket", "cxt@.service"}
	diffInstall = []string{"", "[Service]\nExecStart=/bin/true\n", "[Install]\nWantedBy=multi-user.target\n",
		"[Install]\nRequiredBy=multi-user.target\n", "[Install]\nAlias=cxalias-1.service\n", "[Install]\nAlso=cxb.service\n",
		"[Install]\nDefaultInstance=foo\nWantedBy=multi-user.target\n", "[Install]\nWantedBy=multi-user.target\nAlias=cxalias-2.service\n",
		"[Unit]\nDescription=x\n[Install]\n#WantedBy=multi-user.target\n"}
	diffQueries = []string{"cxa.service", "cxb.service", "cxc.service", "cxd.socket", "cxt@.service", "cxt@foo.service",
		"cxt@bar.service", "cxalias-1.service", "cxalias-2.service", "cxdangle.service", "cxnone.service"}
)

// TestDifferentialIsEnabled builds seeded random unit layouts in the
// sandbox (vendor and admin unit files, [Install] variants with Alias=,
// Also= and DefaultInstance=, .wants/.requires links in /etc, /run and
// /usr/lib, masks in /etc and /run, empty files, aliases, template
// instances, generator output, drop-ins, dangling links) and requires
// IsEnabled to answer every query as the tree's systemctl is-enabled does
// (run chrooted, offline, which is what "systemctl --root" reads).
func TestDifferentialIsEnabled(t *testing.T) {
	s := targettest.NewSandbox(t)
	if !s.Has("usr/bin/systemctl") && !s.Has("bin/systemctl") {
		targettest.Missing(t, "the fixture has no systemctl")
	}
	seed := targettest.Seed(t, 20261205)
	rng := rand.New(rand.NewPCG(seed, 0))
	const cases = 40
	agree, total := 0, 0
	for n := range cases {
		var made []string
		var desc []string
		write := func(rel, body string) {
			s.Write(t, rel, body, 0o644)
			made = append(made, rel)
			desc = append(desc, fmt.Sprintf("%s=%q", rel, body))
		}
		link := func(rel, dest string) {
			p := filepath.Join(s.Root, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			os.Remove(p)
			if err := os.Symlink(dest, p); err != nil {
				t.Fatal(err)
			}
			made = append(made, rel)
			desc = append(desc, rel+"->"+dest)
		}
		for range 2 + rng.IntN(9) {
			u := diffUnits[rng.IntN(len(diffUnits))]
			inst := strings.Replace(u, "@", "@foo", 1)
			switch rng.IntN(16) {
			case 0, 1, 2:
				write("usr/lib/systemd/system/"+u, diffInstall[rng.IntN(len(diffInstall))])
			case 3:
				write("etc/systemd/system/"+u, diffInstall[rng.IntN(len(diffInstall))])
			case 4:
				link("etc/systemd/system/multi-user.target.wants/"+inst, "/usr/lib/systemd/system/"+u)
			case 5:
				link("usr/lib/systemd/system/multi-user.target.wants/"+inst, "../"+u)
			case 6:
				link("run/systemd/system/multi-user.target.wants/"+inst, "/lib/systemd/system/"+u)
			case 7:
				link("etc/systemd/system/"+u, "/dev/null")
			case 8:
				link("run/systemd/system/"+u, "/dev/null")
			case 9:
				link("etc/systemd/system/cxalias-"+strconv.Itoa(1+rng.IntN(2))+".service", "/usr/lib/systemd/system/"+u)
			case 10:
				write("run/systemd/generator/"+u, "[Unit]\nDescription=generated\n")
			case 11:
				write("etc/systemd/system/"+u, "")
			case 12:
				write("etc/systemd/system/"+u+".d/50-install.conf", "[Install]\nWantedBy=multi-user.target\n")
			case 13:
				link("etc/systemd/system/multi-user.target.requires/"+inst, "/usr/lib/systemd/system/"+u)
			case 14:
				link("etc/systemd/system/"+u, "/usr/lib/systemd/system/"+u)
			case 15:
				link("etc/systemd/system/cxdangle.service", "/usr/lib/systemd/system/cxnone.service")
			}
		}
		tg, err := target.OpenRootFS(s.Root)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := Collect(context.Background(), tg)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range diffQueries {
			total++
			// The tree's own systemctl, chrooted; --root=/ keeps it
			// offline even where /run/systemd/system exists.
			out, errOut, _ := s.Run(t.Context(), "systemctl", "--root=/", "is-enabled", q)
			want := strings.TrimSpace(string(out))
			switch {
			case want != "":
			case strings.Contains(string(errOut), "No such file or directory"):
				want = NotFound // systemctl prints nothing and fails
			default:
				want = "error"
			}
			got, err := cfg.IsEnabled(q)
			if errors.Is(err, ErrBadUnit) {
				got = "error"
			} else if err != nil {
				t.Fatal(err)
			}
			if st, err := cfg.State(q); err != nil {
				t.Fatal(err)
			} else if why := stateDiverges(want, st); why != "" {
				t.Errorf("case %d (CRADLE_DIFF_SEED=%d) State(%s) = %s, systemctl is-enabled %s: %s\n  %s", n, seed, q, st.State, want, why, strings.Join(desc, "\n  "))
			}
			if got != want {
				t.Errorf("case %d (CRADLE_DIFF_SEED=%d) is-enabled %s: systemctl %q (%s), cradle %q\n  %s", n, seed, q, want, strings.TrimSpace(string(errOut)), got, strings.Join(desc, "\n  "))
				continue
			}
			agree++
		}
		tg.Close()
		for _, rel := range made {
			s.Remove(t, rel)
		}
		for _, d := range []string{"etc/systemd/system/multi-user.target.requires", "run/systemd"} {
			s.Remove(t, d)
		}
	}
	t.Logf("systemctl is-enabled: %d of %d queries agree over %d generated layouts (seed %d)", agree, total, cases, seed)
}

// stateDiverges checks State, cradle's "does it start at boot" view,
// against systemctl's answer where they must agree: enabling links in
// /etc or /run make it enabled, masks masked, no unit file absent, no
// [Install] static. State deliberately differs in three places: an alias
// takes its unit's state, links in /usr/lib (vendor .wants, which the
// manager follows) and enabled instances of a template count as enabled,
// and generated units are judged like others.
func stateDiverges(sc string, st UnitState) string {
	switch sc {
	case Enabled, EnabledRuntime:
		if st.State != Enabled {
			return "enabling links ignored"
		}
	case Masked, MaskedRuntime:
		if st.State != Masked {
			return "mask ignored"
		}
	case NotFound:
		if st.State != Absent {
			return "no unit file, yet not absent"
		}
	case Disabled, Indirect, Static:
		if st.State == Enabled {
			for _, l := range st.EnabledBy {
				if l.Vendor || l.Unit != st.Unit {
					return ""
				}
			}
			return "enabled without an enabling link"
		}
		if st.State == Masked || st.State == Absent {
			return "unit file ignored"
		}
	}
	return ""
}
