package access

import (
	"strconv"
	"testing"
)

// TestPAMStacks evaluates real account stacks for one account whose
// pam_unix verdict varies.
func TestPAMStacks(t *testing.T) {
	debian := "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so\naccount\trequisite\tpam_deny.so\naccount\trequired\tpam_permit.so\n"
	// RHEL 9 authselect "sssd" profile (system-auth, account part).
	rhel := "account required pam_unix.so\naccount sufficient pam_localuser.so\naccount sufficient pam_usertype.so issystem\naccount [default=bad success=ok user_unknown=ignore] pam_sss.so\naccount required pam_permit.so\n"
	// Only pam_sss decides.
	sss := "account [default=bad success=ok user_unknown=ignore] pam_sss.so\naccount required pam_permit.so\n"
	for _, tc := range []struct {
		name, stack, shadow, want string
	}{
		{"debian fine", debian, "0:99999:7:::", "pass"},
		{"debian expired password", debian, "0:30:7:::", "change_required: password expired since"},
		{"debian inactive", debian, "0:30:7:5::", "refuse: account inactive since"},
		{"rhel fine, pam_sss never reached", rhel, "0:99999:7:::", "pass"},
		{"rhel inactive", rhel, "0:30:7:5::", "refuse: account inactive since"},
		{"sss decides", sss, "0:99999:7:::", "unknown: the outcome depends on modules cradle does not model: pam_sss.so (/etc/pam.d/common-account:1)"},
		{"empty stack", "", "0:99999:7:::", "refuse: empty account stack"},
		{"reset", "account required pam_deny.so\naccount [default=reset] pam_permit.so\naccount required pam_permit.so\n", "0:99999:7:::", "pass"},
		{"die stops", "account requisite pam_deny.so\naccount sufficient pam_permit.so\n", "0:99999:7:::", "refuse: pam_deny at /etc/pam.d/common-account:1"},
		{"jump past deny", "account [success=2 default=ignore] pam_permit.so\naccount requisite pam_deny.so\naccount requisite pam_deny.so\naccount required pam_permit.so\n", "0:99999:7:::", "pass"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := appliance()
			f["etc/pam.d/common-account"] = tc.stack
			for _, m := range []string{"pam_localuser", "pam_usertype", "pam_sss"} {
				f["lib/x86_64-linux-gnu/security/"+m+".so"] = ""
			}
			f["etc/shadow"] = "admin:$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnop:" +
				strconv.FormatInt(today-100, 10) + ":" + tc.shadow + "\n"
			v := compute(t, f).Account("admin").PAM["sudo"]
			got := v.Status
			if v.Reason != "" {
				got += ": " + v.Reason
			}
			if len(got) < len(tc.want) || got[:len(tc.want)] != tc.want {
				t.Errorf("verdict %q, want %q…", got, tc.want)
			}
		})
	}
}

func TestPatterns(t *testing.T) {
	for _, tc := range []struct {
		s, list string
		want    int
	}{
		{"admin", "admin", 1}, {"admin", "adm*", 1}, {"admin", "a?min", 1}, {"admin", "*,!admin", -1},
		{"ops", "*,!admin", 1}, {"ops", "admin,cloud", 0}, {"a", "**", 1}, {"", "*", 1}, {"abc", "a*c*", 1},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*a*a*a*c", 0},
	} {
		if got := patternList(tc.s, tc.list); got != tc.want {
			t.Errorf("patternList(%q, %q) = %d, want %d", tc.s, tc.list, got, tc.want)
		}
	}
}
