package sudoers

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		in, err string
	}{
		{"Defaults\tenv_reset\nDefaults\tsecure_path=\"/usr/sbin:/usr/bin\"\nroot\tALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n", ""},
		{"# comment\n\nDefaults:deploy !authenticate\nDefaults use_pty, logfile=\"/var/log/sudo.log\"\n", ""},
		{"Cmnd_Alias SHUTDOWN = /sbin/halt, /sbin/reboot\nUser_Alias ADMINS = alice, \\\n  bob\nADMINS ALL = SHUTDOWN\n", ""},
		{"#cradle: deploy ALL=(ALL:ALL) NOPASSWD: ALL\n", ""},
		{"Defaults logfile=\"/var/log/sudo.log\n", "line 1: unterminated quote"},
		{"Defaults\n", "line 1: Defaults without settings"},
		{"Defaults use_pty,\n", "bad Defaults item"},
		{"root ALL\n", "line 1: not a sudoers statement"},
		{"Defaults env_reset\nroot ALL=(ALL ALL\n", "line 2: unbalanced"},
		{"Cmnd_Alias lower = /bin/true\n", "bad Cmnd_Alias"},
		{"@includedir\n", "without a path"},
		{"root ALL=(ALL) ALL \\\n", "continuation at end of file"},
	}
	for _, tt := range tests {
		err := Validate([]byte(tt.in))
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("Validate(%q) = %v", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Validate(%q) = %v, want %q", tt.in, err, tt.err)
		}
	}
}
