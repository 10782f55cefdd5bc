package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// kcTree writes files (a "->x" body makes a symlink to x) into a temp root
// and opens it; live opens it as a live root with runtime files.
func kcTree(t *testing.T, live bool, files map[string]string) target.Target {
	t.Helper()
	return targettest.Open(t, live, files)
}

// kcEval builds a check from YAML arguments and evaluates it on tg.
func kcEval(t *testing.T, tmpl check.Template, args string, tg target.Target) check.Outcome {
	t.Helper()
	return status(newCheck(t, tmpl, args), tg)
}

// kcNewErr is the error building a check from YAML arguments.
func kcNewErr(tmpl check.Template, args string) error {
	_, err := parseCheck(tmpl, args)
	return err
}

const kcSSHMain = "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\n" +
	"Subsystem\tsftp\t/usr/lib/openssh/sftp-server\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n"

func TestSSHDOption(t *testing.T) {
	hardened := map[string]string{
		"etc/ssh/sshd_config":               kcSSHMain,
		"etc/ssh/sshd_config.d/50-cra.conf": "PermitRootLogin no\nX11Forwarding no\nMaxAuthTries 3\nLoginGraceTime 1m\nMaxStartups 10:30:60\nCiphers -*-cbc\n",
	}
	tests := []struct {
		name  string
		files map[string]string
		args  string
		want  result.Status
		file  string
		line  int
	}{
		{"not installed", map[string]string{"etc/os-release": "ID=debian\n"}, `{option: PermitRootLogin, allowed: ["no"]}`, result.NotApplicable, "", 0},
		{"drop-in wins", hardened, `{option: X11Forwarding, allowed: ["no"]}`, result.Pass, "/etc/ssh/sshd_config.d/50-cra.conf", 2},
		{"match block weakens", hardened, `{option: PermitRootLogin, allowed: ["no"]}`, result.Fail, "/etc/ssh/sshd_config.d/50-cra.conf", 1},
		{"match block ignored", hardened, `{option: PermitRootLogin, allowed: ["no"], match_blocks: ignore}`, result.Pass, "/etc/ssh/sshd_config.d/50-cra.conf", 1},
		{"main file value", map[string]string{"etc/ssh/sshd_config": kcSSHMain}, `{option: X11Forwarding, allowed: ["no"]}`, result.Fail, "/etc/ssh/sshd_config", 4},
		{"default fails", map[string]string{"etc/ssh/sshd_config": kcSSHMain}, `{option: MaxAuthTries, max: 4}`, result.Fail, "", 0},
		{"default passes", map[string]string{"etc/ssh/sshd_config": kcSSHMain}, `{option: PermitEmptyPasswords, allowed: ["no"]}`, result.Pass, "", 0},
		{"numeric max", hardened, `{option: MaxAuthTries, max: 4}`, result.Pass, "/etc/ssh/sshd_config.d/50-cra.conf", 3},
		{"time max", hardened, `{option: LoginGraceTime, min: 1, max: 60}`, result.Pass, "/etc/ssh/sshd_config.d/50-cra.conf", 4},
		{"time max exceeded", map[string]string{"etc/ssh/sshd_config": "LoginGraceTime 2m\n"}, `{option: LoginGraceTime, max: 1m}`, result.Fail, "/etc/ssh/sshd_config", 1},
		{"maxstartups start", hardened, `{option: MaxStartups, max: 10}`, result.Pass, "/etc/ssh/sshd_config.d/50-cra.conf", 5},
		{"forbidden default", map[string]string{"etc/ssh/sshd_config": kcSSHMain}, `{option: Banner, forbidden: [none]}`, result.Fail, "", 0},
		{"disable forwarding", map[string]string{"etc/ssh/sshd_config": "DisableForwarding yes\nX11Forwarding yes\n"}, `{option: X11Forwarding, allowed: ["no"]}`, result.Pass, "/etc/ssh/sshd_config", 2},
		{"case-insensitive", map[string]string{"etc/ssh/sshd_config": "loglevel verbose\n"}, `{option: LogLevel, allowed: [INFO, VERBOSE]}`, result.Pass, "/etc/ssh/sshd_config", 1},
		{"root login in a block root is never in", map[string]string{"etc/ssh/sshd_config": "PermitRootLogin no\nMatch User alice,bob\n  PermitRootLogin yes\n", "etc/passwd": "root:x:0:0::/root:/bin/sh\n", "etc/group": "root:x:0:\n"},
			`{option: PermitRootLogin, allowed: ["no"]}`, result.Pass, "/etc/ssh/sshd_config", 1},
		{"root login in a block that may select root", map[string]string{"etc/ssh/sshd_config": "PermitRootLogin no\nMatch User *,!alice\n  PermitRootLogin yes\n", "etc/passwd": "root:x:0:0::/root:/bin/sh\n"},
			`{option: PermitRootLogin, allowed: ["no"]}`, result.Fail, "/etc/ssh/sshd_config", 1},
		{"other options keep every block", map[string]string{"etc/ssh/sshd_config": "X11Forwarding no\nMatch User alice\n  X11Forwarding yes\n", "etc/passwd": "root:x:0:0::/root:/bin/sh\n"},
			`{option: X11Forwarding, allowed: ["no"]}`, result.Fail, "/etc/ssh/sshd_config", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, sshdOptionTemplate{}, tt.args, kcTree(t, false, tt.files))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tt.want, o.Reason, o.Evidence)
			}
			if tt.want == result.NotApplicable {
				return
			}
			if e := o.Evidence[0]; e.File != tt.file || e.Line != tt.line || e.Expected == "" {
				t.Errorf("evidence %+v, want %s:%d", e, tt.file, tt.line)
			}
		})
	}
}

func TestSSHDCrypto(t *testing.T) {
	weakCBC := `{option: Ciphers, forbidden: ["*-cbc", "3des-*", "arcfour*"]}`
	tests := []struct {
		name, cfg, args string
		want            result.Status
	}{
		{"default", "UsePAM yes\n", weakCBC, result.Pass},
		{"appended cbc", "Ciphers +aes128-cbc\n", weakCBC, result.Fail},
		{"removed", "Ciphers -*-cbc\n", weakCBC, result.Pass},
		{"explicit", "Ciphers aes256-gcm@openssh.com,3des-cbc\n", weakCBC, result.Fail},
		{"default macs sha1", "UsePAM yes\n", `{option: MACs, forbidden: ["*sha1*", "*md5*"]}`, result.Fail},
		{"macs hardened", "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com\n", `{option: MACs, forbidden: ["*sha1*", "*md5*"]}`, result.Pass},
		{"kex prepended", "KexAlgorithms ^diffie-hellman-group1-sha1\n", `{option: KexAlgorithms, forbidden: ["diffie-hellman-group1-sha1"]}`, result.Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kcEval(t, sshdCryptoTemplate{}, tt.args, kcTree(t, false, map[string]string{"etc/ssh/sshd_config": tt.cfg}))
			if o.Status != tt.want {
				t.Fatalf("status %s, want %s (%+v)", o.Status, tt.want, o.Evidence)
			}
		})
	}
}

func TestSSHDArgs(t *testing.T) {
	bad := []struct {
		tmpl check.Template
		args string
	}{
		{sshdOptionTemplate{}, `{option: NoSuchOption, allowed: [x]}`},
		{sshdOptionTemplate{}, `{option: MaxAuthTries}`},
		{sshdOptionTemplate{}, `{option: MaxAuthTries, max: lots}`},
		{sshdOptionTemplate{}, `{option: MaxAuthTries, max: 4, extra: 1}`},
		{sshdCryptoTemplate{}, `{option: PermitRootLogin, forbidden: [x]}`},
		{sshdCryptoTemplate{}, `{option: Ciphers}`},
	}
	for _, b := range bad {
		if err := kcNewErr(b.tmpl, b.args); err == nil {
			t.Errorf("%s accepted", b.args)
		}
	}
}
