package checks

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// The fix fuzz targets feed target-controlled configuration text to the
// remediations that parse and rewrite it. Each input becomes one small
// tree; every listed check is evaluated on it and, when it fails, planned.
// Properties: no panic; no error except a refusal; no written file larger
// than the input plus what commenting out every line and a managed block
// add; and a plan that neither failed nor deferred anything makes the
// check pass on the planned state.

// fuzzMaxInput bounds the fuzzed content of one tree: plan diffs grow
// faster than linearly with file size, and the fuzzer needs many inputs a
// second.
const fuzzMaxInput = 16 << 10

// fuzzFixCase is one check planned on every fuzzed tree.
type fuzzFixCase struct {
	tmpl check.Template
	args string
	// roundTrip says the pass-after-plan invariant holds for this check on
	// arbitrary content (see the targets for the exceptions).
	roundTrip bool
}

// fuzzFixTree checks cases on base with the fuzzed files merged in.
func fuzzFixTree(t *testing.T, base, fuzzed map[string]string, cases []fuzzFixCase) {
	size, lines := 0, 0
	for _, body := range fuzzed {
		// A body "->x" is a symlink to targettest; text never starts so
		// in a way that matters here.
		if strings.HasPrefix(body, "->") {
			return
		}
		size += len(body)
		lines += strings.Count(body, "\n") + 1
	}
	if size > fuzzMaxInput {
		return
	}
	files := maps.Clone(base)
	maps.Copy(files, fuzzed)
	tg := targettest.Tree(t, files)
	ctx := context.Background()
	// Commenting out prefixes lines; masks and managed blocks add headers.
	limit := size + lines*len(fixDisabledPrefix) + 4096
	for _, fc := range cases {
		c := newCheck(t, fc.tmpl, fc.args)
		if c.Evaluate(ctx, facts.NewStore(ctx, tg)).Status != result.Fail {
			continue
		}
		rem, ok := c.(check.Remediator)
		if !ok {
			t.Fatalf("%T does not implement check.Remediator", c)
		}
		ch := remedy.New(tg)
		ch.Begin("fuzz.rule", remedy.Meta{})
		if err := rem.Remediate(ctx, facts.NewStore(ctx, tg), ch); err != nil {
			if fuzzRefusal(err) {
				continue
			}
			t.Fatalf("%s: Remediate: %v", fc.args, err)
		}
		deferred := false
		for _, op := range ch.Ops() {
			deferred = deferred || op.Deferred()
		}
		for _, pc := range ch.Final() {
			if pc.Action == remedy.ActWrite && len(pc.Data) > limit {
				t.Fatalf("%s: planned /%s is %d bytes from %d bytes of input", fc.args, pc.Path, len(pc.Data), size)
			}
		}
		if deferred || !fc.roundTrip {
			continue
		}
		if o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay())); o.Status != result.Pass {
			for _, op := range ch.Ops() {
				t.Logf("op %s %s: %s\n%s", op.Kind, op.Path, op.Summary, op.Diff)
			}
			t.Fatalf("%s: after fix %s (%s %+v)", fc.args, o.Status, o.Reason, o.Evidence)
		}
	}
}

// fuzzRefusal reports an error by which a remediation declines content it
// cannot edit safely rather than failing on it.
func fuzzRefusal(err error) bool {
	s := err.Error()
	for _, r := range []string{"refus", "not a directory", "is a directory", "already masked", "too long", "too large", "would be invalid"} {
		if strings.Contains(s, r) {
			return true
		}
	}
	return false
}

func FuzzFixSSHDOption(f *testing.F) {
	f.Add(fxDebianSSHD, "PermitRootLogin yes\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n")
	f.Add(fxDebianSSHD, "X11Forwarding yes\nMaxAuthTries 10\nCiphers aes128-cbc,aes256-gcm@openssh.com\n")
	f.Add(fxRHELSSHD, "Match User backup\n\tPermitRootLogin forced-commands-only\n")
	f.Add("# BEGIN cradle managed settings\nPermitRootLogin no\n# END cradle managed settings\nInclude /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n", "")
	f.Add("Include /etc/ssh/sshd_config.d/*.conf\r\nPermitRootLogin\t\"yes\"\r\n", "DisableForwarding yes\nX11Forwarding=yes\n")
	f.Fuzz(func(t *testing.T, main, dropIn string) {
		fuzzFixTree(t, fxDebian, map[string]string{
			"etc/ssh/sshd_config":                 main,
			"etc/ssh/sshd_config.d/50-local.conf": dropIn,
		}, []fuzzFixCase{
			{sshdOptionTemplate{}, `{option: PermitRootLogin, allowed: ["no", "prohibit-password"]}`, true},
			{sshdOptionTemplate{}, `{option: X11Forwarding, allowed: ["no"]}`, true},
			{sshdOptionTemplate{}, `{option: MaxAuthTries, max: 4}`, true},
			{sshdCryptoTemplate{}, `{option: Ciphers, forbidden: ["*-cbc", "3des-*"]}`, true},
		})
	})
}

func FuzzFixSysctl(f *testing.F) {
	f.Add("kernel.randomize_va_space = 0\nvm.swappiness = 10\n", "kernel.sysrq = 1\n")
	f.Add("net.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.*.rp_filter = 0\n", "-net.ipv4.conf.all.rp_filter = 2\n")
	f.Add("; comment\nkernel/kptr_restrict=0\n  kernel.kptr_restrict =   0  \n", "")
	f.Add("", "kernel.kptr_restrict = 0\nkernel.sysrq = 16\nnet.ipv4.ip_forward=1\n")
	f.Fuzz(func(t *testing.T, local, vendor string) {
		fuzzFixTree(t, fxDebianSysctl, map[string]string{
			"etc/sysctl.d/zz-local.conf":      local,
			"usr/lib/sysctl.d/60-vendor.conf": vendor,
		}, []fuzzFixCase{
			{sysctlTemplate{}, `{key: kernel.kptr_restrict, allowed: ["1", "2"]}`, true},
			{sysctlTemplate{}, `{keys: [net.ipv4.conf.all.rp_filter, net.ipv4.conf.default.rp_filter], allowed: ["1", "2"]}`, true},
			{sysctlTemplate{}, `{key: kernel.sysrq, value: "0"}`, true},
		})
	})
}

func FuzzFixConfigKV(f *testing.F) {
	f.Add(debLoginDefs, "[Journal]\n#Storage=auto\n#Compress=yes\n")
	f.Add(rhelLoginDefs, "[Journal]\nStorage=volatile\n[Journal]\nStorage=none\n")
	f.Add("PASS_MAX_DAYS\t400 # site\nUMASK 000\nENCRYPT_METHOD\n", "# comment\nStorage=volatile\n[Other]\nStorage=persistent\n")
	f.Add("", "[Journal]\nStorage=volatile \\\n  persistent\n")
	f.Fuzz(func(t *testing.T, loginDefs, journald string) {
		fuzzFixTree(t, map[string]string{"etc/hostname": "host\n"}, map[string]string{
			"etc/login.defs":            loginDefs,
			"etc/systemd/journald.conf": journald,
		}, []fuzzFixCase{
			{configKVTemplate{}, `{syntax: space, paths: [/etc/login.defs], key: PASS_MAX_DAYS, min: 1, max: 365, default: "99999"}`, true},
			{configKVTemplate{}, `{syntax: space, paths: [/etc/login.defs], key: UMASK, umask: "027", default: "022"}`, true},
			{configKVTemplate{}, `{syntax: space, paths: [/etc/login.defs], key: ENCRYPT_METHOD, allowed: [YESCRYPT, SHA512], default: DES}`, true},
			{configKVTemplate{}, `{syntax: systemd, paths: [/etc/systemd/journald.conf], dropins: true, section: Journal, key: Storage, allowed: [persistent], default: auto}`, true},
		})
	})
}

func FuzzFixPAMOption(f *testing.F) {
	deb := debPAMTree(nil)
	f.Add(deb["etc/pam.d/common-password"], deb["etc/pam.d/common-auth"])
	f.Add("password\t[success=1 default=ignore]\tpam_unix.so obscure md5 # weak\npassword\trequisite\tpam_deny.so\n",
		"auth required pam_faillock.so preauth deny=10\nauth [success=1 default=ignore] pam_unix.so nullok\nauth [default=die] pam_faillock.so authfail\n")
	f.Add("password requisite pam_pwquality.so retry=6 minlen=4\npassword sufficient pam_unix.so sha512 use_authtok\n",
		"auth sufficient pam_unix.so \\\n nullok\n-auth optional pam_faillock.so\n")
	f.Fuzz(func(t *testing.T, password, auth string) {
		fuzzFixTree(t, debPAMTree(map[string]string{"usr/lib/x86_64-linux-gnu/security/pam_pwquality.so": "", "etc/security/pwquality.conf": "# minlen = 8\n"}),
			map[string]string{
				"etc/pam.d/common-password": password,
				"etc/pam.d/common-auth":     auth,
			}, []fuzzFixCase{
				{pamOptionTemplate{}, `{services: [login, sshd, su, sudo, other], type: auth, module: pam_unix.so, args: {nullok: absent}}`, true},
				{pamOptionTemplate{}, `{services: [passwd, chpasswd], type: password, module: pam_unix.so, any_flag: [yescrypt, sha512]}`, true},
				{pamOptionTemplate{}, pwqMinlen, true},
				{pamOptionTemplate{}, faillockDny, true},
			})
	})
}

func FuzzFixMountOption(f *testing.F) {
	f.Add(fxDebianFstab)
	f.Add(fxRHELFstab)
	f.Add("tmpfs /tmp tmpfs defaults,dev,suid,exec 0 0\n/tmp /var/tmp none bind 0 0\ntmpfs /dev/shm tmpfs rw\n")
	f.Add("/dev/sda1 /home ext4\n# /home\n/dev/sdb1\t/home\txfs\tnoauto,nodev\t0\t0\n")
	f.Fuzz(func(t *testing.T, fstab string) {
		fuzzFixTree(t, map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n"}, map[string]string{"etc/fstab": fstab}, []fuzzFixCase{
			{mountOptionTemplate{}, `{mountpoint: /tmp, options: [nodev, nosuid, noexec]}`, true},
			{mountOptionTemplate{}, `{mountpoint: /var/tmp, options: [nodev]}`, true},
			{mountOptionTemplate{}, `{mountpoint: /home, options: [nodev]}`, true},
		})
	})
}

func FuzzFixSudo(f *testing.F) {
	f.Add(debSudoers, breakDropIn)
	f.Add(rhelSudoers, "Defaults visiblepw, use_pty # local\n%admins ALL=(ALL) NOPASSWD: ALL\n")
	f.Add("Defaults timestamp_timeout=-1\nroot ALL=(ALL) ALL\n", "")
	f.Add("Defaults\t!use_pty, \\\n  !env_reset\n@includedir /etc/sudoers.d\n", "Defaults:deploy !authenticate\nCmnd_Alias X = /bin/sh\ndeploy ALL = NOPASSWD: X\n")
	f.Add("@includedir /etc/sudoers.d\n", "User_Alias D = deploy, %deploy\nD ALL = (root) NOPASSWD: /bin/a, \\\n\tSETENV:NOPASSWD:/bin/b # NOPASSWD: c\n#1000 h1 = NOPASSWD : /bin/echo NOPASSWD\\: x : h2 = PASSWD: ALL\n")
	f.Fuzz(func(t *testing.T, main, dropIn string) {
		// deploy has a password, so NOPASSWD rules for it lose the tag
		// rather than being deferred.
		fuzzFixTree(t, map[string]string{"etc/sudoers.d/README": "# files in this directory are read\n",
			"etc/passwd": deployPasswd, "etc/shadow": deployShadow, "etc/group": "root:x:0:\ndeploy:x:1000:\n"}, map[string]string{
			"etc/sudoers":          main,
			"etc/sudoers.d/zz-dev": dropIn,
		}, []fuzzFixCase{
			{sudoOptionTemplate{}, `{option: use_pty, enabled: true, default: "false"}`, true},
			{sudoOptionTemplate{}, `{option: timestamp_timeout, min: 0, max: 15, default: "15"}`, true},
			{sudoOptionTemplate{}, `{option: visiblepw, enabled: false, default: "false"}`, true},
			{sudoRuleTemplate{}, `{forbid: no_authenticate}`, true},
			{sudoRuleTemplate{}, `{forbid: nopasswd, allow: ["%admins"]}`, true},
		})
	})
}

func TestFstabSetFieldShortLine(t *testing.T) {
	tests := []struct{ line, want string }{
		{"0 tmp", "0 tmp\tauto\tnodev"},
		{"tmpfs /tmp tmpfs", "tmpfs /tmp tmpfs\tnodev"},
		{"tmpfs /tmp tmpfs defaults 0 0", "tmpfs /tmp tmpfs nodev 0 0"},
	}
	for _, tt := range tests {
		if got := fstabSetField(tt.line, 3, "nodev"); got != tt.want {
			t.Errorf("fstabSetField(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

// FuzzFixPAMAuthUpdate feeds pam-auth-update's inputs (a common file, its
// record and a profile) to the PAM fixes that rebuild them.
func FuzzFixPAMAuthUpdate(f *testing.F) {
	deb := debAuthUpdateTree(nil)
	f.Add(deb["etc/pam.d/common-auth"], deb["var/lib/pam/auth"], deb["usr/share/pam-configs/unix"])
	f.Add(pauCommon("auth", "auth\t[success=2 default=ignore]\tpam_unix.so\nauth\t[success=1 default=ignore]\tpam_sss.so use_first_pass\n", "auth\toptional\tpam_cap.so \n"),
		"Module: unix\n[success=end default=ignore]\tpam_unix.so nullok\nModule: sss\n[success=end default=ignore]\tpam_sss.so use_first_pass\nModule: capability\noptional\tpam_cap.so\n",
		"Name: x\nPriority: 900x\nAuth-Type: Primary\nAuth:\n  [success=end default=ignore]   pam_unix.so nullok\n\n   \nAuth-Final:\n\tsufficient pam_unix.so\nConflicts: a, b\n")
	f.Fuzz(func(t *testing.T, common, record, profile string) {
		fuzzFixTree(t, debAuthUpdateTree(nil), map[string]string{
			"etc/pam.d/common-auth":      common,
			"var/lib/pam/auth":           record,
			"usr/share/pam-configs/unix": profile,
		}, []fuzzFixCase{
			{pamOptionTemplate{}, faillockDny, false},
			{pamOptionTemplate{}, `{services: [login, sshd, su, sudo, other], type: auth, module: pam_unix.so, args: {nullok: absent}}`, false},
		})
	})
}
