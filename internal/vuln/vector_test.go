package vuln

import "testing"

func TestScoreVector(t *testing.T) {
	for _, tc := range []struct {
		v, sev string
		score  float64
		ok     bool
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "critical", 9.8, true},
		{"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", "medium", 5.5, true},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "critical", 9.3, true},
		{"CVSS:3.1/AV:N/AC:L", "", 0, false},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P", "", 0, false},
	} {
		c, sev, err := ScoreVector(tc.v)
		if (err == nil) != tc.ok {
			t.Fatalf("%s: err %v", tc.v, err)
		}
		if tc.ok && (c.Score != tc.score || sev != tc.sev) {
			t.Errorf("%s: %v %s", tc.v, c.Score, sev)
		}
	}
}
