package packages

import "testing"

func TestParseDpkgConffiles(t *testing.T) {
	b := "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\n" +
		"Conffiles:\n /etc/issue 9A9E5EB6E2F3DD4A3AB8DD2A1B3D2C5B\n /etc/old newconffile\n /etc//gone 9a9e5eb6e2f3dd4a3ab8dd2a1b3d2c5b obsolete\n" +
		" relative 9a9e5eb6e2f3dd4a3ab8dd2a1b3d2c5b\nDescription: x\n continued\n\nPackage: gone\nStatus: deinstall ok config-files\n"
	ps := ParseDpkgStatus([]byte(b), "f")
	if len(ps) != 2 {
		t.Fatalf("%+v", ps)
	}
	c := ps[0].Conffiles
	if c["/etc/issue"] != "9a9e5eb6e2f3dd4a3ab8dd2a1b3d2c5b" || c["/etc/old"] != "" || c["/etc/gone"] == "" || len(c) != 3 {
		t.Fatalf("%+v", c)
	}
	if ps[1].Status != "config-files" || ps[1].Installed || ps[1].Conffiles != nil {
		t.Fatalf("%+v", ps[1])
	}
}
