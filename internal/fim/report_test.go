package fim

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sampleReport is a check report with every field set, for renderer and
// schema tests.
func sampleReport() *Report {
	when := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	p := &Policy{Name: "/etc/cradle/fim.yaml", hash: "sha256:" + hexSum([]byte("p"))}
	r := NewReport(CmdCheck, "root:/srv/rootfs", p, when)
	r.Database = &DBInfo{Path: "/var/lib/cradle/fim/root-srv-rootfs.db", Digest: "sha256:" + hexSum([]byte("db")), Seq: 3,
		Created: when.Add(-time.Hour), Host: "build1", KeyID: "0123456789abcdef", Entries: 5, PolicyHash: "sha256:00"}
	r.PolicyChanged, r.Full = true, true
	r.SetWalk(&Snapshot{Entries: []*Entry{{Path: "/etc/hosts", Unstable: true}, {Path: "/usr/bin/ls"}},
		Problems: []Problem{{Path: "/etc/shadow", Error: "open /etc/shadow: permission denied"}}, Hashed: 2, Reused: 3, Bytes: 3 << 20}, 1500*time.Millisecond)
	r.SetChanges([]Change{
		{Path: "/etc/hosts", Kind: Changed, Type: TypeFile, Unstable: true, Diffs: []Diff{
			{Attr: "size", Old: "20", New: "22"}, {Attr: "sha256", Old: hexSum([]byte("a")), New: hexSum([]byte("b"))}}},
		{Path: "/usr/bin/evil\x1b[2J", Kind: Added, Type: TypeFile},
		{Path: "/usr/bin/dir", Kind: Changed, Type: TypeSymlink, Diffs: []Diff{{Attr: "target", Old: "ls", New: ""}}},
		{Path: "/usr/bin/cat", Kind: Removed, Type: TypeFile},
		// Hostile names: invalid UTF-8, a right-to-left override, markup.
		{Path: "/usr/lib/x\xff\xfe.so", Kind: Changed, Type: TypeSymlink, Diffs: []Diff{{Attr: "target", Old: "a\xff", New: "b"}}},
		{Path: "/usr/share/<script>alert(1)</script>\u202egnp.exe", Kind: Changed, Type: TypeFile, Diffs: []Diff{
			{Attr: "mode", Old: "0755", New: "04755"}}},
	})
	r.Problems = append(r.Problems, Problem{Path: "/usr/lib/\xff", Error: "open /usr/lib/\xff: permission denied"})
	r.Summary.Problems = len(r.Problems)
	return r
}

func sampleShow() *Report {
	r := sampleReport()
	r.Command, r.Changes, r.Problems, r.PolicyChanged, r.Full = CmdShow, []Change{}, []Problem{}, false, false
	r.Summary = Summary{Entries: 3}
	r.Entries = []*Entry{
		{Path: "/usr/bin/ls", Type: TypeFile, Mode: 0o755, Size: 6, SHA256: hexSum([]byte("ELF ls"))},
		{Path: "/usr/bin/dir", Type: TypeSymlink, Mode: 0o777, Size: 2, Target: "ls"},
		{Path: "/usr/bin/bad\xff", Type: TypeFile, Mode: 0o4755},
	}
	return r
}

// TestReportRoundTrip: a saved JSON report reads back to a report that
// renders the same bytes, hostile names included (cradle convert).
func TestReportRoundTrip(t *testing.T) {
	for _, r := range []*Report{sampleReport(), sampleShow()} {
		var j, t1, j2, t2 bytes.Buffer
		if err := r.JSON(&j); err != nil {
			t.Fatal(err)
		}
		var back Report
		if err := json.Unmarshal(j.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(r.Table(&t1), back.Table(&t2), back.JSON(&j2)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(j.Bytes(), j2.Bytes()) || !bytes.Equal(t1.Bytes(), t2.Bytes()) {
			t.Errorf("round trip differs:\n%s\n%s", t1.Bytes(), t2.Bytes())
		}
		if n := len(r.Changes); n > 1 && back.Changes[n-2].Path != r.Changes[n-2].Path {
			t.Errorf("path bytes lost: %q", back.Changes[len(back.Changes)-2].Path)
		}
	}
}

func TestReportGoldens(t *testing.T) {
	for name, r := range map[string]*Report{"check": sampleReport(), "show": sampleShow()} {
		for format, render := range map[string]func(*bytes.Buffer) error{
			"table": func(b *bytes.Buffer) error { return r.Table(b) },
			"json":  func(b *bytes.Buffer) error { return r.JSON(b) },
		} {
			var b bytes.Buffer
			if err := render(&b); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+"."+format+".golden")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the rendered report:\n%s", golden, b.Bytes())
			}
		}
	}
}
