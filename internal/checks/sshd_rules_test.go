package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/result"
)

func TestSSHDRules(t *testing.T) {
	main := func(body string) map[string]string { return map[string]string{"etc/ssh/sshd_config": body} }
	tests := []struct {
		name  string
		tmpl  check.Template
		args  string
		files map[string]string
		want  result.Status
	}{
		{"rekey not installed", sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: 1h}`, map[string]string{"etc/os-release": "ID=debian\n"}, result.NotApplicable},
		{"rekey default", sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: 1h}`, main("UsePAM yes\n"), result.Fail},
		{"rekey both", sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: 1h}`, main("RekeyLimit 512M 1h\n"), result.Pass},
		{"rekey no time", sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: 1h}`, main("RekeyLimit 512M\n"), result.Fail},
		{"rekey time from a later line", sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: 1h}`, main("RekeyLimit 512M none\nRekeyLimit 2G 30m\n"), result.Pass},
		{"rekey too much data", sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: 1h}`, main("RekeyLimit 4G 1h\n"), result.Fail},
		{"rekey too long", sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: 1h}`, main("RekeyLimit 1G 2h\n"), result.Fail},
		{"rekey default data", sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: 1h}`, main("RekeyLimit default 1h\n"), result.Fail},
		{"rekey weakened in match", sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: 1h}`, main("RekeyLimit 1G 1h\nMatch User backup\n  RekeyLimit 8G\n"), result.Fail},
		{"restricted none", sshdLoginRestrictedTemplate{}, `{options: [AllowUsers, AllowGroups]}`, main("UsePAM yes\n"), result.Fail},
		{"restricted groups", sshdLoginRestrictedTemplate{}, `{options: [AllowUsers, AllowGroups]}`, main("allowgroups ssh-users\n"), result.Pass},
		{"restricted only in match", sshdLoginRestrictedTemplate{}, `{options: [AllowUsers, AllowGroups]}`, main("Match Address 10.0.0.0/8\n  AllowUsers root\n"), result.Fail},
		{"restricted by match all", sshdLoginRestrictedTemplate{}, `{options: [AllowUsers]}`, main("Match all\n  AllowUsers admin\n"), result.Pass},
		{"deny counts when listed", sshdLoginRestrictedTemplate{}, `{options: [AllowUsers, DenyUsers]}`, main("DenyUsers guest\n"), result.Pass},
		{"methods default with password", sshdAuthMethodsTemplate{}, `{}`, main("UsePAM yes\n"), result.Fail},
		{"methods any without passwords", sshdAuthMethodsTemplate{}, `{}`, main("PasswordAuthentication no\nKbdInteractiveAuthentication no\n"), result.Pass},
		{"methods password in match", sshdAuthMethodsTemplate{}, `{}`, main("PasswordAuthentication no\nKbdInteractiveAuthentication no\nMatch Group legacy\n  PasswordAuthentication yes\n"), result.Fail},
		{"methods key and password", sshdAuthMethodsTemplate{}, `{}`, main("AuthenticationMethods publickey,password publickey,keyboard-interactive:pam\n"), result.Pass},
		{"methods password chain", sshdAuthMethodsTemplate{}, `{}`, main("AuthenticationMethods publickey password\n"), result.Fail},
		{"valid", sshdValidTemplate{}, `{}`, main("PermitRootLogin no\nMatch all\n  PrintMotd no\n"), result.Pass},
		{"invalid global keyword in match", sshdValidTemplate{}, `{}`, main("Match User x\n  PrintMotd no\n"), result.Fail},
		{"invalid keyword", sshdValidTemplate{}, `{}`, main("PermitRootLogn no\n"), result.Fail},
		{"methods weak in match", sshdAuthMethodsTemplate{}, `{}`, main("AuthenticationMethods publickey\nMatch Address 192.168.0.0/16\n  AuthenticationMethods keyboard-interactive\n"), result.Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, tt.tmpl, tt.args, kcTree(t, false, tt.files))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tt.want, o.Reason, o.Evidence)
			}
			if o.Status != result.NotApplicable && (len(o.Evidence) == 0 || o.Evidence[0].Expected == "") {
				t.Errorf("evidence %+v", o.Evidence)
			}
		})
	}
}

func TestSSHDRulesArgs(t *testing.T) {
	for _, tt := range []struct {
		tmpl check.Template
		args string
	}{
		{sshdRekeyLimitTemplate{}, `{max_data: lots, max_time: 1h}`},
		{sshdRekeyLimitTemplate{}, `{max_data: 1G, max_time: soon}`},
		{sshdRekeyLimitTemplate{}, `{max_data: 8, max_time: 1h}`},
		{sshdLoginRestrictedTemplate{}, `{options: []}`},
		{sshdLoginRestrictedTemplate{}, `{options: [PermitRootLogin]}`},
		{sshdAuthMethodsTemplate{}, `{extra: 1}`},
	} {
		if err := kcNewErr(tt.tmpl, tt.args); err == nil {
			t.Errorf("%s %s: no error", tt.tmpl.Name(), tt.args)
		}
	}
}

func TestSSHDRekeyLimitFix(t *testing.T) {
	tg := fxTree(t, fxDebian, map[string]string{"etc/ssh/sshd_config.d/00-local.conf": "RekeyLimit 4G\nMatch User backup\n  RekeyLimit 8G 1h\n"})
	ch := fixRoundTrip(t, sshdRekeyLimitTemplate{}, `{max_data: 512M, max_time: 1h}`, tg)
	fxContains(t, "sshd_config", planned(t, ch, "etc/ssh/sshd_config"), sshdBlockBegin+"\nRekeyLimit 512M 1h\n")
	drop := planned(t, ch, "etc/ssh/sshd_config.d/00-local.conf")
	fxContains(t, "drop-in", drop, "#cradle: RekeyLimit 4G")
	fxContains(t, "drop-in match", drop, "#cradle:   RekeyLimit 8G 1h")
}
