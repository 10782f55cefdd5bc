package sudoers

import (
	"bytes"
	"fmt"
	"slices"
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

// FuzzValidate checks arbitrary sudoers content: never a panic, errors
// name a line of the input, and accepted content stays accepted with a
// line a fix appends.
func FuzzValidate(f *testing.F) {
	f.Add([]byte("Defaults\tenv_reset\nDefaults\tsecure_path=\"/usr/sbin:/usr/bin\"\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n"))
	f.Add([]byte("Defaults:deploy !authenticate\nCmnd_Alias SHELLS = /bin/sh, /bin/bash\ndeploy ALL = (root) NOPASSWD: SHELLS\n"))
	f.Add([]byte("Defaults !use_pty, \\\n  visiblepw\nx ALL=(\n"))
	f.Add([]byte("Defaults \"unterminated\n#includedir\nUser_Alias lower = a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Validate(b)
		lines := bytes.Count(b, []byte{'\n'}) + 1
		if err != nil {
			var n int
			if _, serr := fmt.Sscanf(err.Error(), "line %d:", &n); serr != nil || n < 1 || n > lines+1 {
				t.Fatalf("error %q does not name a line of %d", err, lines)
			}
			return
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			return
		}
		if err := Validate(append(slices.Clone(b), "Defaults\tuse_pty\n"...)); err != nil {
			t.Fatalf("appending a Defaults line to valid content: %v", err)
		}
	})
}
