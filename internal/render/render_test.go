package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// hostile is text a scanned file could put into a report: markup, quotes,
// an ANSI escape, a bidi override, non-ASCII and a newline.
const hostile = "PermitRootLogin \"yes\" <script>alert('x')</script> & \x1b[31mred\x1b[0m \u202eevil ünïcødé ✓\nsecond line"

// fixture is a report with every status, evidence with and without lines,
// waivers of both kinds and text that every format has to escape.
func fixture() *result.Report {
	rep := &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "cradle", Version: "1.4.0"},
		Target: result.Target{
			Kind: "rootfs", Name: "/srv/images/edge gateway", OS: "Debian GNU/Linux 12 (bookworm)", Hostname: "gw-01",
		},
		Profile:    "strict",
		StartedAt:  time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		DurationMS: 1234,
		Results: []result.Result{
			{
				RuleID: "ssh.permit_root_login", Title: "SSH does not allow root login", Status: result.Fail,
				Severity: result.SeverityHigh, Fixable: true,
				References: map[string][]string{"cra": {"CRA.A1.P1.2d"}, "nist_800_53": {"AC-6(2)", "IA-2"}},
				Evidence: []result.Evidence{{
					Expected: "PermitRootLogin no", Observed: "PermitRootLogin yes",
					File: "/etc/ssh/sshd_config", Line: 33, Note: "first match wins",
				}},
				Description: "sshd must refuse direct logins as root.",
				Rationale:   "Direct root logins defeat accountability and expose the most privileged account to password guessing.",
			},
			{
				RuleID: "sysctl.kernel.randomize_va_space", Title: "Address space layout randomisation is fully enabled",
				Status: result.Pass, Severity: result.SeverityMedium, Fixable: true,
				References: map[string][]string{"cra": {"CRA.A1.P1.2k"}, "nist_800_53": {"SI-16"}},
				Evidence: []result.Evidence{{
					Expected: "2", Observed: "2", File: "/etc/sysctl.d/99-hardening.conf", Line: 4,
				}},
				Description: "The kernel randomises the layout of stacks, heaps and libraries.",
				Rationale:   "Randomisation makes memory-corruption exploits unreliable.",
			},
			{
				RuleID: "file.shadow.permissions", Title: "/etc/shadow is readable only by root and the shadow group",
				Status: result.Fail, Severity: result.SeverityCritical, Fixable: true,
				References: map[string][]string{"cra": {"CRA.A1.P1.2d", "CRA.A1.P1.2e"}, "nist_800_53": {"AC-3", "IA-5(1)"}},
				Evidence: []result.Evidence{{
					Expected: "mode 0640 or stricter, owner root, group root or shadow",
					Observed: "mode 0644, owner root, group shadow", File: "/etc/shadow",
				}},
				Description: "The shadow password file holds password hashes.",
				Rationale:   "Readable hashes can be cracked offline.",
			},
			{
				RuleID: "service.telnet.disabled", Title: "No telnet server is installed", Status: result.NotApplicable,
				Severity: result.SeverityHigh, Reason: "telnetd is not installed",
				References: map[string][]string{"cra": {"CRA.A1.P1.2j"}, "nist_800_53": {"CM-7"}},
				Evidence:   []result.Evidence{},
			},
			{
				RuleID: "pam.faillock", Title: "Repeated failed logins lock the account", Status: result.Error,
				Severity: result.SeverityMedium, Reason: "read /etc/pam.d/common-auth: permission denied",
				References: map[string][]string{"cra": {"CRA.A1.P1.2d"}, "nist_800_53": {"AC-7"}},
				Evidence:   []result.Evidence{{Observed: "unreadable", File: "/etc/pam.d/common-auth"}},
			},
			{
				RuleID: "file.world_writable", Title: "No world-writable files outside temporary directories",
				Status: result.Waived, WaivedStatus: result.Fail, Severity: result.SeverityLow,
				References: map[string][]string{"cra": {"CRA.A1.P1.2f"}, "nist_800_53": {"AC-3"}, "iso_27001": {"A.8.3"}},
				Evidence: []result.Evidence{
					{Expected: "no world-writable files", Observed: "mode 0666", File: "/srv/kiosk/share/notes.txt"},
					{Expected: "no world-writable files", Observed: "mode 0777", File: "/srv/kiosk/share"},
				},
				Waiver: &result.Waiver{
					Justification: "Legacy kiosk share; replacement tracked in OPS-1234 & due <Q1>",
					Owner:         "ops@example.com", Expires: "2027-03-31", Source: "waivers.yaml",
				},
			},
			{
				RuleID: "kernel.module.usb_storage", Title: "USB mass storage is disabled", Status: result.Waived,
				Severity: result.SeverityInfo, Reason: "waived without evaluation: appliance has no USB ports",
				References: map[string][]string{"cra": {"CRA.A1.P1.2j"}},
				Evidence:   []result.Evidence{},
				Waiver:     &result.Waiver{Justification: "appliance has no USB ports"},
			},
			{
				RuleID: "ssh.banner", Title: "Login banner " + hostile, Status: result.Fail,
				Severity: result.SeverityMedium, Reason: "banner " + hostile,
				References: map[string][]string{"cra": {"CRA.A1.P1.2b"}},
				Evidence: []result.Evidence{{
					Expected: "Banner /etc/issue.net", Observed: hostile,
					File: "/etc/ssh/sshd_config.d/50 cloud:init.conf", Line: 2, Note: "<b>note</b>",
				}},
				Description: "A <legal> banner & notice.",
			},
		},
	}
	rep.Summarize()
	return rep
}

func emptyReport() *result.Report {
	return &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "cradle", Version: "dev"},
		Target:        result.Target{Kind: "image", Name: "debian-12.tar"},
		Profile:       "default",
		StartedAt:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// imageReport is the fixture as a scan of a container image.
func imageReport() *result.Report {
	rep := fixture()
	rep.Target = result.Target{Kind: "image", Name: "registry/app:1.2.tar", OS: "Debian GNU/Linux 12 (bookworm)"}
	return rep
}

// hostPassReport is a scan of the live host where nothing failed: no
// next steps.
func hostPassReport() *result.Report {
	rep := fixture()
	rep.Target = result.Target{Kind: "host", Name: "/", Hostname: "gw-01"}
	var keep []result.Result
	for _, r := range rep.Results {
		if r.Status != result.Fail && r.Status != result.Error {
			keep = append(keep, r)
		}
	}
	rep.Results = keep
	rep.Summarize()
	return rep
}

type goldenCase struct {
	name   string
	format string
	report func() *result.Report
	opts   Options
}

var goldenCases = []goldenCase{
	{"table.txt", "table", fixture, Options{}},
	{"table-verbose.txt", "table", fixture, Options{Verbose: true}},
	{"table-color.txt", "table", fixture, Options{Color: true}},
	{"table-color-verbose.txt", "table", fixture, Options{Color: true, Verbose: true}},
	{"table-rerun.txt", "table", fixture, Options{Rerun: []string{"--tailoring", "site.yaml", "--rules", "./our rules", "--rule", "ssh.banner"}}},
	{"table-image.txt", "table", imageReport, Options{}},
	{"table-host-pass.txt", "table", hostPassReport, Options{}},
	{"report.json", "json", fixture, Options{}},
	{"report.sarif", "sarif", fixture, Options{}},
	{"report.junit.xml", "junit", fixture, Options{}},
	{"report.html", "html", fixture, Options{}},
	{"empty.txt", "table", emptyReport, Options{}},
	{"empty.json", "json", emptyReport, Options{}},
	{"empty.sarif", "sarif", emptyReport, Options{}},
	{"empty.junit.xml", "junit", emptyReport, Options{}},
	{"empty.html", "html", emptyReport, Options{}},
}

func render(t testing.TB, format string, r *result.Report, opts Options) []byte {
	t.Helper()
	rnd, err := Default().Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rnd.Render(&buf, r, opts); err != nil {
		t.Fatalf("render %s: %v", format, err)
	}
	return buf.Bytes()
}

func goldenPath(name string) string { return filepath.Join("testdata", name+".golden") }

// TestGolden compares every format with testdata/*.golden; run
// `go test ./internal/render -update` to accept new output.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, tc.format, tc.report(), tc.opts)
			path := goldenPath(tc.name)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/render -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run with -update and review the diff)\n%s", path, firstDiff(want, got))
			}
		})
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := range max(len(wl), len(gl)) {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + string(w) + "\n  got: " + string(g)
		}
	}
	return ""
}

// TestDeterministic renders every format repeatedly: map iteration order
// must never leak into the output.
func TestDeterministic(t *testing.T) {
	for _, format := range Default().Names() {
		t.Run(format, func(t *testing.T) {
			first := render(t, format, fixture(), Options{Verbose: true})
			for range 10 {
				if got := render(t, format, fixture(), Options{Verbose: true}); !bytes.Equal(got, first) {
					t.Fatalf("%s output changed between runs:\n%s", format, firstDiff(first, got))
				}
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	reg := Default()
	want := []string{"arf", "html", "json", "junit", "sarif", "table", "xccdf"}
	if got := reg.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	if _, err := reg.Lookup("pdf"); err == nil {
		t.Error("Lookup(pdf) succeeded")
	}
	if err := reg.Add("json", Func(JSON)); err == nil {
		t.Error("duplicate Add succeeded")
	}
}

// TestRenderersKeepReport checks that no renderer reorders or edits the
// report it is given.
func TestRenderersKeepReport(t *testing.T) {
	for _, format := range Default().Names() {
		t.Run(format, func(t *testing.T) {
			r := fixture()
			ids := ruleIDs(r)
			render(t, format, r, Options{Verbose: true})
			if got := ruleIDs(r); !slices.Equal(got, ids) {
				t.Errorf("report order changed: %v", got)
			}
		})
	}
}

func ruleIDs(r *result.Report) []string {
	var out []string
	for _, res := range r.Results {
		out = append(out, res.RuleID)
	}
	return out
}

// TestValidUTF8MatchesJSON: invalid bytes become U+FFFD one for one, as
// encoding/json writes them, so a report read back from JSON renders the
// same.
func TestValidUTF8MatchesJSON(t *testing.T) {
	for _, s := range []string{"plain", "a\xffb", "\xff\xfe\xfd", "ok ✓ \xe2\x9c", "\x1b[31m\xc0\xaf"} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := toValidUTF8(s); got != back {
			t.Errorf("toValidUTF8(%q) = %q, JSON gives %q", s, got, back)
		}
	}
}
