package fim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// sampleAttributed is a check report whose changes are explained, one
// by each source, for the renderer and schema tests.
func sampleAttributed() *Report {
	r := sampleReport()
	r.SetChanges(r.Changes[:4]) // one change per explanation below
	by := []*Explanation{
		{By: ByFix, Ref: "20261127T093000Z-1a2b", Detail: "cradle fix run, change-log entry 7, rules ssh.permit_root_login"},
		{By: ByPackage, Ref: "coreutils:amd64 9.1-1", Detail: "content matches the md5 the installed package records"},
		{By: ByChangeLog, Ref: "entry 9", Detail: "manual entry, change CHG-2: new banner"},
		{By: ByNone},
	}
	for i := range r.Changes {
		r.Changes[i].Explained = by[i%len(by)]
	}
	r.Attribution = &Attribution{Sources: []string{ByFix, ByChangeLog, ByPackage}, Explained: 3, Unexplained: 1,
		Notes: []string{"md5sums of broken: line too long"}}
	return r
}

func sampleVerify() *Report {
	r := sampleAttributed()
	r.Command, r.Database, r.PolicyChanged, r.Full, r.Attribution = CmdVerifyPackages, nil, false, false, nil
	r.Policy = PolicyInfo{Name: "dpkg database"}
	r.SetChanges([]Change{
		{Path: "/usr/bin/ls", Kind: Changed, Type: TypeFile, Diffs: []Diff{{Attr: AttrMD5, Old: "00", New: "11"}},
			Explained: &Explanation{By: ByNone, Ref: "coreutils:amd64 9.1-1"}},
		{Path: "/usr/bin/cat", Kind: Removed, Type: TypeFile, Explained: &Explanation{By: ByNone, Ref: "coreutils:amd64 9.1-1"}},
	})
	r.Packages = &PackageCheck{Manager: "dpkg", Packages: 2, Files: 40, Mismatched: 1, Missing: 1, Unknown: []string{"empty-meta"}}
	return r
}

func TestAttributionGoldens(t *testing.T) {
	for name, r := range map[string]*Report{"attrib": sampleAttributed(), "verify": sampleVerify()} {
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
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the rendered report (go test -run TestAttributionGoldens -update):\n%s", golden, b.Bytes())
			}
		}
	}
}

func TestKeepUnexplained(t *testing.T) {
	r := sampleAttributed()
	if r.Unexplained() != 1 {
		t.Fatalf("unexplained = %d", r.Unexplained())
	}
	r.KeepUnexplained()
	if len(r.Changes) != 1 || r.Changes[0].Explained.By != ByNone || r.Attribution.Hidden != 3 || r.Summary.Removed != 1 {
		t.Fatalf("after KeepUnexplained: %+v %+v", r.Changes, r.Summary)
	}
	r.Attribution = nil
	r.Changes = append(r.Changes, Change{Path: "/x"}) // never attributed: unexplained
	if r.Unexplained() != 2 {
		t.Fatal("a change without an explanation is not counted unexplained")
	}
}
