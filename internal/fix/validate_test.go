package fix

import (
	"context"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name, path, data, wantErr string
	}{
		{"good sshd", "etc/ssh/sshd_config", "# c\nPermitRootLogin no\nMatch User x\n  X11Forwarding no\n", ""},
		{"unknown sshd keyword", "etc/ssh/sshd_config", "PermitRootLogin no\nPermitRootLogon yes\n", "/etc/ssh/sshd_config:2: unknown sshd keyword"},
		{"sshd drop-in", "etc/ssh/sshd_config.d/10-x.conf", "Ciphers \"aes256-ctr\n", "/etc/ssh/sshd_config.d/10-x.conf:1"},
		{"good sudoers", "etc/sudoers.d/cradle", "Defaults use_pty\nDefaults logfile=\"/var/log/sudo.log\"\n", ""},
		{"bad sudoers", "etc/sudoers.d/cradle", "Defaults use_pty\nDefaults\n", "/etc/sudoers.d/cradle"},
		{"other files not validated", "etc/login.defs", "garbage ( \n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(context.Background(), []remedy.PathChange{{Path: tt.path, Action: remedy.ActWrite, Data: []byte(tt.data)}}, false, Validators())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
