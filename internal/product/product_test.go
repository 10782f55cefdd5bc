package product

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/rules"
)

const good = `schema_version: 1
manufacturer:
  name: Example GmbH
  address: Hauptstr. 1, 10115 Berlin
  email: info@example.com
  website: https://example.com
  contacts:
    - {role: product security, name: Ada, email: psirt@example.com}
product:
  name: edge-gateway
  identifier: serial number on the type plate
  versions: ["2.4.0"]
intended_purpose: Connects field devices to the operator's network.
deployments:
  - {name: appliance, target: image, profile: product}
support:
  start: 2027-01
  end: 2034-12-31
security:
  contact: https://example.com/security
  cvd_policy: https://example.com/cvd
updates:
  channel: https://updates.example.com
  signed: true
classification:
  categories: [I.12]
  standards: none
`

func TestParseGood(t *testing.T) {
	f, warns, err := Parse("cradle.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if f.Support.Start.String() != "2027-01-01" || f.Support.End.String() != "2034-12-31" {
		t.Errorf("support %v..%v", f.Support.Start, f.Support.End)
	}
	if f.Classification.Input().Categories[0] != "I.12" || f.Deployments[0].Profile != "product" {
		t.Errorf("parsed %+v", f)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, edit, want string
		line             int
	}{
		{"unknown key", "  name: edge-gateway\n  colour: red\n", "colour", 11},
		{"bad date", "  end: 2034-12-31\n", "", 0},
		{"end before start", "", "", 0},
		{"missing contact", "", "security.contact is required", 0},
		{"bad category", "", "unknown Annex III/IV category", 0},
		{"bad target", "", "deployment target", 0},
		{"bad email", "", "not an e-mail address", 0},
		{"version", "", "schema_version 2", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			switch tc.name {
			case "unknown key":
				in = strings.Replace(in, "  name: edge-gateway\n", tc.edit, 1)
			case "bad date":
				in = strings.Replace(in, "end: 2034-12-31", "end: soon", 1)
				tc.want, tc.line = "not a date", 18
			case "end before start":
				in = strings.Replace(in, "end: 2034-12-31", "end: 2026-12-31", 1)
				tc.want, tc.line = "is not after support.start", 18
			case "missing contact":
				in = strings.Replace(in, "  contact: https://example.com/security\n", "", 1)
				tc.line = 19
			case "bad category":
				in = strings.Replace(in, "[I.12]", "[I.99]", 1)
				tc.line = 25
			case "bad target":
				in = strings.Replace(in, "target: image", "target: vm", 1)
				tc.line = 15
			case "bad email":
				in = strings.Replace(in, "info@example.com", "Info <info@example.com>", 1)
				tc.line = 5
			case "version":
				in = strings.Replace(in, "schema_version: 1", "schema_version: 2", 1)
			}
			_, _, err := Parse("cradle.yaml", []byte(in))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q lacks %q", err, tc.want)
			}
			var re *rules.Error
			var res rules.Errors
			line := 0
			switch {
			case errors.As(err, &res):
				line = res[0].Line
			case errors.As(err, &re):
				line = re.Line
			}
			if tc.line != 0 && line != tc.line {
				t.Fatalf("error %q at line %d, want %d", err, line, tc.line)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	in := strings.Replace(good, "end: 2034-12-31", "end: 2029-06-30", 1)
	in = strings.Replace(in, "  cvd_policy: https://example.com/cvd\n", "", 1)
	_, warns, err := Parse("cradle.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, w := range warns {
		all = append(all, w.String())
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{"cradle.yaml:18: support period is 2.5 years", "add support.justification", "cvd_policy is empty"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
}

func TestStarterParses(t *testing.T) {
	for _, a := range []Answers{
		{},
		{Manufacturer: "ACME: \"quoted\" #1", Email: "a@b.example", Product: "x", Version: "0.1", SupportYears: 10,
			SupportStart: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), Categories: []string{"I.11", "II.2"}, Target: "rootfs"},
	} {
		b, err := Starter(a)
		if err != nil {
			t.Fatal(err)
		}
		f, _, err := Parse("cradle.yaml", b)
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if a.Manufacturer != "" && f.Manufacturer.Name != a.Manufacturer {
			t.Errorf("manufacturer %q", f.Manufacturer.Name)
		}
		if a.SupportYears == 10 && f.Support.End.String() != "2037-03-01" {
			t.Errorf("support end %s", f.Support.End)
		}
	}
	if _, err := Starter(Answers{Target: "vm"}); err == nil {
		t.Error("starter with a bad target accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("schema_version: 1\nsupport: {start: 2027-01, end: 2020-01}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, err := Parse("f.yaml", b)
		if err == nil && p == nil {
			t.Fatal("nil file without error")
		}
	})
}

func TestCategoriesAnswered(t *testing.T) {
	for in, want := range map[string]bool{"[]": true, "null": false, "[I.1]": true} {
		f, _, err := Parse("c.yaml", []byte(strings.Replace(good, "[I.12]", in, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Classification.Categories != nil; got != want {
			t.Errorf("categories: %s answered=%v, want %v", in, got, want)
		}
	}
}
