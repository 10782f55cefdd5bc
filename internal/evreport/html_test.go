package evreport

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
)

func renderHTML(t *testing.T, m Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, &m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestHTMLGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Model
	}{
		{"sample.html", sampleModel()},
		{"empty.html", Model{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderHTML(t, tc.m)
			if !bytes.Equal(got, renderHTML(t, tc.m)) {
				t.Fatal("two renderings of the same model differ")
			}
			golden(t, tc.name, got)
		})
	}
}

// TestHTMLSelfContained: nothing in the document may load anything, and
// user values are escaped.
func TestHTMLSelfContained(t *testing.T) {
	out := string(renderHTML(t, sampleModel()))
	for _, bad := range []string{"<script", "src=", "href=", "url(", "@import", "style=\"", "<link", "<img", "<iframe"} {
		if strings.Contains(out, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("case title not escaped")
	}
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(out)
	if csp == nil || !regexp.MustCompile(`^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]{44}'; base-uri 'none'; form-action 'none'$`).MatchString(html.UnescapeString(csp[1])) {
		t.Errorf("no strict Content-Security-Policy meta tag: %q", csp)
	}
	for _, want := range []string{"CRA.A1.P1.1", "CRA.A1.P2.8", "Not applicable: the product processes no personal data", "SRP-4711", "debian12-server", strings.Repeat("ab", 32), "2036-12-05"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestView(t *testing.T) {
	v := newView(sampleModel(), "")
	if len(v.Parts) != 2 || len(v.Parts[0].Rows) != 14 || len(v.Parts[1].Rows) != 8 {
		t.Fatalf("parts: %+v", v.Parts)
	}
	if got := v.Parts[0].Rows[0].Title; got != "Cybersecurity appropriate to the risks" {
		t.Errorf("title from the catalogue: %q", got)
	}
	states := map[string]int{}
	for _, c := range v.Matrix.Cells {
		states[c.State]++
	}
	if states["not_applicable"] != 1 || states["met"] == 0 || states["unknown"] == 0 {
		t.Errorf("cell states: %v", states)
	}
	if v.Cards[0].Value != "9 / 21" {
		t.Errorf("met card: %q", v.Cards[0].Value)
	}
	for _, r := range v.RunChart.Rows {
		end := 0.0
		for _, s := range r.Segments {
			end = s.X + s.W
		}
		if end > float64(chartLW+v.RunChart.TrackW)+0.5 {
			t.Errorf("run %s overflows its track: %v", r.Label, end)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"CRA.A1.P1.2b", "2b"}, {"CRA.A1.P2.3", "II.3"}, {"X.1", "X.1"},
	} {
		if got := shortID(tc.in); got != tc.want {
			t.Errorf("shortID(%q) = %q", tc.in, got)
		}
	}
	if got := cssKey("Bad Key"); got != "other" {
		t.Errorf("cssKey: %q", got)
	}
}

func TestNilModel(t *testing.T) {
	var b bytes.Buffer
	if HTML(&b, nil) == nil || PDF(&b, nil) == nil || b.Len() != 0 {
		t.Error("a nil model must be an error and write nothing")
	}
}
