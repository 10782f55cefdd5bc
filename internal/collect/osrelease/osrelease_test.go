package osrelease

import (
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		id       string
		families []string
	}{
		{"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n", "debian", []string{"debian"}},
		{"ID=ubuntu\nID_LIKE=debian\n", "ubuntu", []string{"ubuntu", "debian"}},
		{"ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", "rocky", []string{"rocky", "rhel", "centos", "fedora"}},
		{"# comment\nID='alpine'\n", "alpine", []string{"alpine"}},
	}
	for _, tc := range tests {
		info := Parse([]byte(tc.in))
		if info.ID != tc.id || !slices.Equal(info.Families(), tc.families) {
			t.Errorf("Parse(%q) = %s %v", tc.in, info.ID, info.Families())
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("ID=debian\nPRETTY_NAME=\"x\\\"y\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}
