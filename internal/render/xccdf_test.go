package render

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
)

func init() {
	goldenCases = append(goldenCases,
		goldenCase{"report.xccdf.xml", "xccdf", fixture, Options{}},
		goldenCase{"scap-report.json", "json", scapFixture, Options{}},
		goldenCase{"scap-report.xccdf.xml", "xccdf", scapFixture, Options{}},
		goldenCase{"scap-report.arf.xml", "arf", scapFixture, Options{}},
		goldenCase{"scap-table.txt", "table", scapFixture, Options{Verbose: true}},
		goldenCase{"scap-report.junit.xml", "junit", scapFixture, Options{}},
	)
}

// scapFixture is a report of SCAP content with every XCCDF result.
func scapFixture() *result.Report {
	const p = "xccdf_org.ssgproject.content_rule_"
	rule := func(id string, st result.Status, sev result.Severity, reason string) result.Result {
		return result.Result{
			RuleID: p + id, Title: "Rule " + id, Status: st, Severity: sev, Reason: reason,
			References: map[string][]string{"cce": {"CCE-80000-" + id}, "nist_800_53": {"CM-6(a)"}},
			Evidence:   []result.Evidence{},
			SCAP: &result.SCAPResult{Weight: 1, Idents: []result.Ident{{System: "https://ncp.nist.gov/cce", Value: "CCE-80000-" + id}},
				Checks: []result.SCAPCheck{{System: "http://oval.mitre.org/XMLSchema/oval-definitions-5", Href: "ssg-debian12-oval.xml", Name: "oval:ssg-" + id + ":def:1"}}},
		}
	}
	rs := []result.Result{
		rule("pass", result.Pass, result.SeverityMedium, ""),
		rule("fail", result.Fail, result.SeverityHigh, ""),
		rule("na", result.XCCDFNotApplicable, result.SeverityLow, "platform \"Package openssh-server is installed\" does not apply"),
		rule("nc", result.NotChecked, result.SeverityInfo, "no supported check system (the rule's checks use http://scap.nist.gov/schema/ocil/2)"),
		rule("ns", result.NotSelected, result.SeverityLow, ""),
		rule("err", result.Error, result.SeverityMedium, "selinuxboolean_test is not implemented <&>"),
		rule("unk", result.Unknown, result.SeverityLow, "unknown"),
		rule("info", result.Informational, result.SeverityLow, ""),
	}
	rs[1].Evidence = []result.Evidence{{Observed: "textfilecontent54_test oval:ssg-x:tst:1: false (1 item(s))", Note: "/etc/ssh/sshd_config"}}
	rep := &result.Report{
		SchemaVersion: result.SchemaVersion, Kind: result.ReportKind,
		Tool:    result.Tool{Name: "cradle", Version: "1.4.0"},
		Target:  result.Target{Kind: "rootfs", Name: "/srv/rootfs", OS: "Debian GNU/Linux 12 (bookworm)", Hostname: "gw-01"},
		Profile: "xccdf_org.ssgproject.content_profile_standard", StartedAt: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), DurationMS: 1500,
		Results: rs,
		SCAP: &result.SCAPRun{
			Content: "ssg-debian12-ds.xml", DataStream: "scap_org.open-scap_datastream_from_xccdf_ssg-debian12-xccdf.xml",
			Benchmark: "xccdf_org.ssgproject.content_benchmark_DEBIAN-12", BenchmarkVersion: "0.1.76", BenchmarkTitle: "Guide to the Secure Configuration of Debian 12",
			Profile: "xccdf_org.ssgproject.content_profile_standard", ProfileTitle: "Standard System Security Profile for Debian 12",
			Tailoring: "tailoring.xml", ScoreSystem: "urn:xccdf:scoring:default", Score: 33.333333, MaxScore: 100,
			Values: []result.SCAPValue{{ID: "xccdf_org.ssgproject.content_value_sshd_max_auth_tries_value", Value: "4"}}, RegexEngines: []string{"go-regexp", "regexp2"},
			Source: []byte(scapSource),
		},
	}
	rep.Summarize()
	return rep
}

// scapSource stands for the source data stream a report evaluated.
const scapSource = "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- generated -->\n" +
	`<ds:data-stream-collection xmlns:ds="http://scap.nist.gov/schema/scap/source/1.2" id="scap_org.open-scap_collection_from_xccdf_ssg-debian12-xccdf.xml" schematron-version="1.3">` +
	`<ds:data-stream id="scap_org.open-scap_datastream_from_xccdf_ssg-debian12-xccdf.xml" scap-version="1.3" use-case="OTHER"/>` +
	`</ds:data-stream-collection>`

// TestARFCarriesSourceDataStream: the ARF report request is the source
// data stream, embedded from its root element, and the report says it
// was created for it; without a data stream there is no request.
func TestARFCarriesSourceDataStream(t *testing.T) {
	var doc struct {
		Requests []struct {
			ID  string `xml:"id,attr"`
			DSC struct {
				ID string `xml:"id,attr"`
			} `xml:"content>data-stream-collection"`
		} `xml:"report-requests>report-request"`
		Rels []struct {
			Type    string `xml:"type,attr"`
			Subject string `xml:"subject,attr"`
			Ref     string `xml:"ref"`
		} `xml:"relationships>relationship"`
	}
	if err := xml.Unmarshal(render(t, "arf", scapFixture(), Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Requests) != 1 || doc.Requests[0].DSC.ID != "scap_org.open-scap_collection_from_xccdf_ssg-debian12-xccdf.xml" {
		t.Errorf("report requests = %+v", doc.Requests)
	}
	created := false
	for _, r := range doc.Rels {
		created = created || r.Type == "arfvocab:createdFor" && r.Subject == "xccdf1" && r.Ref == doc.Requests[0].ID
	}
	if !created {
		t.Errorf("no createdFor relationship: %+v", doc.Rels)
	}
	if out := render(t, "arf", fixture(), Options{}); bytes.Contains(out, []byte("report-request")) {
		t.Error("a report of cradle's own rules has a report request")
	}
}

// TestXMLFormatsWellFormed: the XCCDF and ARF output of every fixture parses.
func TestXMLFormatsWellFormed(t *testing.T) {
	for _, format := range []string{"xccdf", "arf"} {
		for _, r := range []*result.Report{fixture(), scapFixture(), emptyReport()} {
			dec := xml.NewDecoder(bytes.NewReader(render(t, format, r, Options{})))
			for {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("%s: not well-formed: %v", format, err)
				}
			}
		}
	}
}
