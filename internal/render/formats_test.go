package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cradle-cra/cradle/internal/result"
)

// TestSARIFStructure checks the properties SARIF 2.1.0 requires and the
// mapping rules of sarif.go on the fixture.
func TestSARIFStructure(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(render(t, "sarif", fixture(), Options{}), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %q, %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "cradle" || len(run.Tool.Driver.Rules) != 8 {
		t.Fatalf("driver %q with %d rules", run.Tool.Driver.Name, len(run.Tool.Driver.Rules))
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "" || r.ShortDescription.Text == "" || r.DefaultConfiguration.Level == "" || strings.ContainsAny(r.Name, " .") {
			t.Errorf("incomplete rule %+v", r)
		}
	}
	root := run.OriginalURIBaseIDs[sarifRootID]
	if root.URI != "file:///srv/images/edge%20gateway/" {
		t.Errorf("TARGETROOT = %q", root.URI)
	}

	byRule := map[string]sarifResult{}
	for _, res := range run.Results {
		byRule[res.RuleID] = res
		if rule := run.Tool.Driver.Rules[res.RuleIndex]; rule.ID != res.RuleID {
			t.Errorf("%s: ruleIndex %d points at %s", res.RuleID, res.RuleIndex, rule.ID)
		}
		if res.Message.Text == "" {
			t.Errorf("%s: empty message", res.RuleID)
		}
		if res.Kind != "fail" && res.Level != "none" {
			t.Errorf("%s: kind %s with level %s; SARIF wants none", res.RuleID, res.Kind, res.Level)
		}
		if len(res.PartialFingerprints[fingerprintKey]) != 32 {
			t.Errorf("%s: fingerprint %v", res.RuleID, res.PartialFingerprints)
		}
		if len(res.Locations) == 0 {
			t.Errorf("%s: no location (code scanning rejects the log)", res.RuleID)
		}
		for _, loc := range res.Locations {
			al := loc.PhysicalLocation.ArtifactLocation
			if al.URIBaseID != sarifRootID || strings.HasPrefix(al.URI, "/") {
				t.Errorf("%s: location %+v", res.RuleID, al)
			}
		}
	}
	for _, id := range []string{"sysctl.kernel.randomize_va_space", "service.telnet.disabled"} {
		if _, ok := byRule[id]; ok {
			t.Errorf("%s (pass/not_applicable) emitted as a result", id)
		}
	}
	tests := []struct {
		id, kind, level string
		suppressed      bool
		line            int
	}{
		{"ssh.permit_root_login", "fail", "error", false, 33},
		{"file.shadow.permissions", "fail", "error", false, 0},
		{"ssh.banner", "fail", "warning", false, 2},
		{"pam.faillock", "review", "none", false, 0},
		{"file.world_writable", "fail", "note", true, 0},
		{"kernel.module.usb_storage", "review", "none", true, 0},
	}
	if locs := byRule["kernel.module.usb_storage"].Locations; len(locs) != 1 || locs[0].PhysicalLocation.ArtifactLocation.URI != "." {
		t.Errorf("result without file evidence: locations %+v, want the target root", locs)
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			res, ok := byRule[tc.id]
			if !ok {
				t.Fatal("no result")
			}
			if res.Kind != tc.kind || res.Level != tc.level {
				t.Errorf("kind/level = %s/%s, want %s/%s", res.Kind, res.Level, tc.kind, tc.level)
			}
			if got := len(res.Suppressions) == 1; got != tc.suppressed {
				t.Errorf("suppressed = %v, want %v", got, tc.suppressed)
			}
			for _, s := range res.Suppressions {
				if s.Kind != "external" || s.Justification == "" {
					t.Errorf("suppression %+v", s)
				}
			}
			line := 0
			if len(res.Locations) > 0 && res.Locations[0].PhysicalLocation.Region != nil {
				line = res.Locations[0].PhysicalLocation.Region.StartLine
			}
			if line != tc.line {
				t.Errorf("startLine = %d, want %d", line, tc.line)
			}
		})
	}
	notes := run.Invocations[0].ToolExecutionNotifications
	if len(notes) != 1 || notes[0].AssociatedRule.ID != "pam.faillock" || notes[0].Level != "error" {
		t.Errorf("notifications = %+v", notes)
	}
}

func TestSARIFRoot(t *testing.T) {
	tests := []struct {
		target result.Target
		uri    string
	}{
		{result.Target{Kind: "host", Name: "/"}, "file:///"},
		{result.Target{Kind: "rootfs", Name: "/var/lib/roots/a#b"}, "file:///var/lib/roots/a%23b/"},
		{result.Target{Kind: "rootfs", Name: `C:\roots\deb`}, "file:///C:/roots/deb/"},
		{result.Target{Kind: "image", Name: "debian.tar"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.target.Name, func(t *testing.T) {
			got := sarifRoot(tc.target)
			if got.URI != tc.uri || got.Description == nil {
				t.Errorf("sarifRoot(%+v) = %+v, want uri %q", tc.target, got, tc.uri)
			}
		})
	}
}

func TestRelativeURI(t *testing.T) {
	tests := map[string]string{
		"/etc/ssh/sshd_config":      "etc/ssh/sshd_config",
		"/etc/a b/c%d#e?f":          "etc/a%20b/c%25d%23e%3Ff",
		"/x:y/z":                    "x%3Ay/z",
		"/etc/ünï":                  "etc/%C3%BCn%C3%AF",
		"relative/file":             "relative/file",
		`\Windows\System32\drivers`: "Windows/System32/drivers",
	}
	for in, want := range tests {
		if got := relativeURI(in); got != want {
			t.Errorf("relativeURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRuleName(t *testing.T) {
	tests := map[string]string{
		"ssh.permit_root_login":            "SshPermitRootLogin",
		"sysctl.kernel.randomize_va_space": "SysctlKernelRandomizeVaSpace",
		"x":                                "X",
	}
	for in, want := range tests {
		if got := ruleName(in); got != want {
			t.Errorf("ruleName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFingerprintStable: a finding keeps its fingerprint when its line or
// observed value changes, and changes with the rule or the file.
func TestFingerprintStable(t *testing.T) {
	base := result.Result{RuleID: "ssh.x", Evidence: []result.Evidence{{File: "/etc/ssh/sshd_config", Line: 3, Observed: "a"}}}
	moved := base
	moved.Evidence = []result.Evidence{{File: "/etc/ssh/sshd_config", Line: 40, Observed: "b"}}
	other := base
	other.Evidence = []result.Evidence{{File: "/etc/ssh/sshd_config.d/x.conf", Line: 3}}
	if fingerprint(base) != fingerprint(moved) {
		t.Error("fingerprint changed with the line")
	}
	if fingerprint(base) == fingerprint(other) {
		t.Error("fingerprint ignores the file")
	}
}

// junitDoc mirrors the JUnit elements the tests read back.
type junitDoc struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitRoundTrip(t *testing.T) {
	out := render(t, "junit", fixture(), Options{})
	var doc junitDoc
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("output is not well-formed XML: %v", err)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d suites", len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "strict" || len(s.Cases) != 8 {
		t.Errorf("suite %q with %d cases", s.Name, len(s.Cases))
	}
	var fails, errs, skips int
	for _, c := range s.Cases {
		if c.Failure != nil {
			fails++
		}
		if c.Error != nil {
			errs++
		}
		if c.Skipped != nil {
			skips++
		}
		if c.ClassName == "" || !strings.Contains(c.Name, ": ") {
			t.Errorf("case %q/%q", c.ClassName, c.Name)
		}
	}
	if fails != 3 || errs != 1 || skips != 3 {
		t.Errorf("failures/errors/skipped = %d/%d/%d, want 3/1/3", fails, errs, skips)
	}
	for _, want := range []string{`tests="8"`, `failures="3"`, `errors="1"`, `skipped="3"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("missing %s", want)
		}
	}
	c := s.Cases[len(s.Cases)-1]
	if c.ClassName != "ssh" || c.Failure == nil || !strings.Contains(c.Failure.Body, "<script>alert('x')</script>") {
		t.Errorf("hostile text did not round-trip: %+v", c)
	}
	if !strings.Contains(c.Failure.Body, `\u001b[31mred\u001b[0m \u202eevil`) {
		t.Error("terminal escape or bidi override not made visible")
	}
	if bytes.Contains(out, []byte("<script>")) {
		t.Error("markup in report values is not escaped")
	}
}

// TestHTMLEscaping: report values are text, never markup, and the page
// loads nothing from elsewhere.
func TestHTMLEscaping(t *testing.T) {
	out := string(render(t, "html", fixture(), Options{}))
	if n := strings.Count(out, "<script"); n != 1 {
		t.Errorf("%d <script elements, want only the page's own", n)
	}
	for _, bad := range []string{"<script>alert", "<b>note</b>", "<legal>", "<Q1>", "\x1b", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "&lt;b&gt;note&lt;/b&gt;", `\u001b[31mred`, `\u202eevil`, "ünïcødé ✓"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:|//)|@import|url\(|<link`)
	if m := external.FindString(out); m != "" {
		t.Errorf("page references an external resource: %q", m)
	}
}

func TestHTMLContent(t *testing.T) {
	out := string(render(t, "html", fixture(), Options{}))
	for _, want := range []string{
		"/srv/images/edge gateway", "Debian GNU/Linux 12 (bookworm)", "strict", "2026-11-27 10:00:00 UTC", "cradle 1.4.0",
		"/etc/ssh/sshd_config:33", "PermitRootLogin no", "Legacy kiosk share", "ops@example.com", "2027-03-31",
		"underlying outcome: fail", "underlying outcome: not evaluated", "CRA.A1.P1.2d", "AC-6(2)", "iso_27001",
		"Failures by severity", "Failures by CRA Annex I point", "Protection from unauthorised access",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Failing and error results are expanded, the others collapsed.
	open := regexp.MustCompile(`<details class="result s-(\w+)"[^>]* open>`).FindAllStringSubmatch(out, -1)
	if len(open) != 4 {
		t.Errorf("%d open details, want 4 (3 fail, 1 error)", len(open))
	}
	for _, m := range open {
		if m[1] != "fail" && m[1] != "error" {
			t.Errorf("%s result expanded", m[1])
		}
	}
}

func TestTermSafe(t *testing.T) {
	tests := map[string]string{
		"plain ünï ✓":       "plain ünï ✓",
		"a\x1b[31mb":        `a\u001b[31mb`,
		"line1\nline2\tx":   `line1\nline2\tx`,
		"abc\u202edef":      `abc\u202edef`,
		"bell\a and \x7f":   `bell\u0007 and \u007f`,
		"c1 \u009b control": `c1 \u009b control`,
	}
	for in, want := range tests {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := visible("a\nb\x1b"); got != "a\nb\\u001b" {
		t.Errorf("visible kept or dropped the wrong runes: %q", got)
	}
}

// TestTableNoRawControl: a hostile value cannot inject terminal escapes;
// only the renderer's own colours appear.
func TestTableNoRawControl(t *testing.T) {
	for _, opts := range []Options{{}, {Verbose: true}, {Color: true, Verbose: true}} {
		out := string(render(t, "table", fixture(), opts))
		stripped := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllStringFunc(out, func(s string) string {
			if opts.Color && (s == ansiReset || s == ansiRed || s == ansiGreen || s == ansiYellow || s == ansiBlue || s == ansiGrey) {
				return ""
			}
			return s
		})
		if strings.ContainsAny(stripped, "\x1b\u202e") {
			t.Errorf("%+v: raw control characters in table output", opts)
		}
	}
}

// FuzzRenderers feeds arbitrary text (as a hostile scanned file could
// produce) through every renderer: none may fail, JSON and SARIF must stay
// valid JSON, JUnit well-formed XML, HTML free of injected markup.
func FuzzRenderers(f *testing.F) {
	f.Add("title", "observed", "/etc/x", 3)
	f.Add(hostile, "<script>x</script>", "/etc/a b:c", 0)
	f.Add("\xff\xfe invalid utf-8", "]]>", "", -1)
	f.Fuzz(func(t *testing.T, title, observed, file string, line int) {
		r := fixture()
		r.Results[0].Title = title
		r.Results[0].Evidence[0].Observed = observed
		r.Results[0].Evidence[0].File = file
		r.Results[0].Evidence[0].Line = line
		r.Results[4].Reason = observed
		r.Target.Name = file
		for _, format := range Default().Names() {
			var buf bytes.Buffer
			rnd, _ := Default().Lookup(format)
			if err := rnd.Render(&buf, r, Options{Verbose: true}); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out := buf.Bytes()
			switch format {
			case "json", "sarif":
				if !json.Valid(out) {
					t.Fatalf("%s: invalid JSON", format)
				}
			case "junit":
				dec := xml.NewDecoder(bytes.NewReader(out))
				for {
					if _, err := dec.Token(); err == io.EOF {
						break
					} else if err != nil {
						t.Fatalf("junit: not well-formed: %v", err)
					}
				}
			case "html":
				if n := bytes.Count(out, []byte("<script")); n != 1 {
					t.Fatalf("html: %d script tags", n)
				}
				if !utf8.Valid(out) && utf8.ValidString(title+observed+file) {
					t.Fatal("html: invalid UTF-8 from valid input")
				}
			}
		}
	})
}

func TestSemVer(t *testing.T) {
	tests := map[string]string{"v1.2.3": "1.2.3", "1.4.0": "1.4.0", "v2.0.0-rc.1+g1234": "2.0.0-rc.1+g1234", "dev": "", "v1.2": "", "": ""}
	for in, want := range tests {
		if got := semVer(in); got != want {
			t.Errorf("semVer(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHTMLCSP: the Content-Security-Policy hash matches the page's script
// byte for byte, so the browser runs it and nothing else.
func TestHTMLCSP(t *testing.T) {
	out := string(render(t, "html", fixture(), Options{}))
	_, after, _ := strings.Cut(out, "<script>")
	script, _, ok := strings.Cut(after, "</script>")
	if !ok {
		t.Fatal("no script in page")
	}
	sum := sha256.Sum256([]byte(script))
	want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	meta := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(out)
	if meta == nil {
		t.Fatal("no CSP meta element")
	}
	csp := html.UnescapeString(meta[1])
	if !strings.Contains(csp, "script-src '"+want+"'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q does not pin the script hash %s", csp, want)
	}
}
