package checks

import (
	"context"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
)

const fxDebianSSHD = `# This is the sshd server system-wide configuration file.  See
# sshd_config(5) for more information.

# The strategy used for options in the default sshd_config shipped with
# OpenSSH is to specify options with their default value where
# possible, but leave them commented.  Uncommented options override the
# default value.

Include /etc/ssh/sshd_config.d/*.conf

#Port 22
#PermitRootLogin prohibit-password
#MaxAuthTries 6

KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem	sftp	/usr/lib/openssh/sftp-server
`

// fxDebian is a Debian 12 OpenSSH server layout.
var fxDebian = map[string]string{
	"etc/os-release":                  "ID=debian\nVERSION_ID=\"12\"\n",
	"var/lib/dpkg/status":             "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u3\n\n",
	"etc/ssh/sshd_config":             fxDebianSSHD,
	"etc/ssh/sshd_config.d/.keep":     "directory exists\n",
	"usr/sbin/sshd":                   "ELF",
	"etc/ssh/sshd_config.d/README.md": "not included\n",
}

const fxRHELSSHD = `#	$OpenBSD: sshd_config,v 1.104 2021/07/02 05:11:21 dtucker Exp $

# This is the sshd server system-wide configuration file.  See
# sshd_config(5) for more information.

# To modify the system-wide sshd configuration, create a  *.conf  file under
#  /etc/ssh/sshd_config.d/  which will be automatically included below
Include /etc/ssh/sshd_config.d/*.conf

#PermitRootLogin prohibit-password
AuthorizedKeysFile	.ssh/authorized_keys
Subsystem	sftp	/usr/libexec/openssh/sftp-server
`

// fxRHEL9 is a RHEL 9 OpenSSH server layout with the crypto policy
// included from 50-redhat.conf.
var fxRHEL9 = map[string]string{
	"etc/os-release":      "ID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\n",
	"etc/ssh/sshd_config": fxRHELSSHD,
	"etc/ssh/sshd_config.d/50-redhat.conf": "Include /etc/crypto-policies/back-ends/opensshserver.config\n\nSyslogFacility AUTHPRIV\n" +
		"ChallengeResponseAuthentication no\nGSSAPIAuthentication yes\nGSSAPICleanupCredentials no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\n",
	"etc/crypto-policies/back-ends/opensshserver.config": "->/usr/share/crypto-policies/DEFAULT/opensshserver.txt",
	"usr/share/crypto-policies/DEFAULT/opensshserver.txt": "Ciphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,aes128-gcm@openssh.com,aes128-ctr\n" +
		"MACs hmac-sha2-256-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha1,umac-128@openssh.com,hmac-sha2-512\n" +
		"KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256\n",
	"usr/sbin/sshd": "ELF",
}

func TestSSHDOptionFix(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		args   string
		file   string   // planned file to inspect
		want   []string // substrings of its planned content
		lacks  []string
		effect remedy.Effect
	}{
		{
			name: "debian main-file value commented, block before Include", files: fxDebian,
			args: `{option: X11Forwarding, allowed: ["no"]}`, file: "etc/ssh/sshd_config",
			want: []string{"# default value.\n\n" + sshdBlockBegin + "\nX11Forwarding no\n" + sshdBlockEnd + "\n\nInclude /etc/ssh/sshd_config.d/*.conf",
				"#cradle: X11Forwarding yes\n"},
			effect: remedy.Effect{Kind: remedy.EffectSSHRestrict, Subject: "X11Forwarding", Value: "no"},
		},
		{
			name: "debian drop-in and match block", args: `{option: PermitRootLogin, allowed: ["no", "prohibit-password", "without-password", "forced-commands-only"]}`,
			files: fxMerge(fxDebian, map[string]string{
				"etc/ssh/sshd_config.d/00-local.conf": "PermitRootLogin yes\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\nMatch User backup\n  PermitRootLogin forced-commands-only\n",
			}),
			file: "etc/ssh/sshd_config.d/00-local.conf",
			want: []string{"#cradle: PermitRootLogin yes\nMatch Address 10.0.0.0/8\n#cradle:   PermitRootLogin yes\n", "\n  PermitRootLogin forced-commands-only\n"},
			// sshd's default complies, so it is the value chosen.
			effect: remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Subject: "root", Value: "prohibit-password"},
		},
		{
			name: "admin intent kept", args: `{option: PermitRootLogin, allowed: ["no", "prohibit-password"]}`,
			files: fxMerge(fxDebian, map[string]string{
				"etc/ssh/sshd_config.d/00-local.conf": "PermitRootLogin yes\n",
				"etc/ssh/sshd_config.d/60-site.conf":  "PermitRootLogin no\n",
			}),
			file:   "etc/ssh/sshd_config",
			want:   []string{sshdBlockBegin + "\nPermitRootLogin no\n" + sshdBlockEnd},
			effect: remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Subject: "root", Value: "no"},
		},
		{
			name: "match block only", args: `{option: PasswordAuthentication, allowed: ["no"]}`,
			files: fxMerge(fxDebian, map[string]string{
				"etc/ssh/sshd_config.d/10-nopw.conf": "PasswordAuthentication no\n",
				"etc/ssh/sshd_config.d/90-lan.conf":  "Match Address 192.168.0.0/16\n\tPasswordAuthentication yes\n",
			}),
			file: "etc/ssh/sshd_config.d/90-lan.conf", want: []string{"\n#cradle: \tPasswordAuthentication yes"},
			effect: remedy.Effect{Kind: remedy.EffectSSHNoPassword, Subject: "PasswordAuthentication", Value: "no"},
		},
		{
			name: "default above max", files: fxDebian, args: `{option: MaxAuthTries, max: 4}`,
			file: "etc/ssh/sshd_config", want: []string{sshdBlockBegin + "\nMaxAuthTries 4\n"},
			effect: remedy.Effect{Kind: remedy.EffectSSHRestrict, Subject: "MaxAuthTries", Value: "4"},
		},
		{
			name: "time range", args: `{option: LoginGraceTime, min: 1, max: 60}`,
			files: fxMerge(fxDebian, map[string]string{"etc/ssh/sshd_config.d/00-local.conf": "LoginGraceTime 0\n"}),
			file:  "etc/ssh/sshd_config", want: []string{"\nLoginGraceTime 60\n"},
			effect: remedy.Effect{Kind: remedy.EffectSSHRestrict, Subject: "LoginGraceTime", Value: "60"},
		},
		{
			name: "banner", files: fxDebian, args: `{option: Banner, forbidden: [none]}`,
			file: "etc/ssh/sshd_config", want: []string{"\nBanner /etc/issue.net\n"},
			effect: remedy.Effect{Kind: remedy.EffectSSHRestrict, Subject: "Banner", Value: "/etc/issue.net"},
		},
		{
			name: "rhel vendor drop-in", files: fxRHEL9, args: `{option: GSSAPIAuthentication, allowed: ["no"]}`,
			file: "etc/ssh/sshd_config.d/50-redhat.conf", want: []string{"#cradle: GSSAPIAuthentication yes\n"},
			effect: remedy.Effect{Kind: remedy.EffectSSHRestrict, Subject: "GSSAPIAuthentication", Value: "no"},
		},
		{
			name: "rhel block before include", files: fxRHEL9, args: `{option: ClientAliveInterval, min: 1, max: 300}`,
			file:   "etc/ssh/sshd_config",
			want:   []string{"automatically included below\n" + sshdBlockBegin + "\nClientAliveInterval 300\n" + sshdBlockEnd + "\n\nInclude "},
			effect: remedy.Effect{Kind: remedy.EffectSSHRestrict, Subject: "ClientAliveInterval", Value: "300"},
		},
		{
			name: "existing block line replaced", args: `{option: PermitRootLogin, allowed: ["no"]}`,
			files: fxMerge(fxDebian, map[string]string{"etc/ssh/sshd_config": sshdBlockBegin + "\nPermitRootLogin prohibit-password\nMaxAuthTries 3\n" + sshdBlockEnd + "\n" + fxDebianSSHD}),
			file:  "etc/ssh/sshd_config", want: []string{sshdBlockBegin + "\nPermitRootLogin no\nMaxAuthTries 3\n" + sshdBlockEnd + "\n"},
			lacks:  []string{"prohibit-password\nMax", "#cradle"},
			effect: remedy.Effect{Kind: remedy.EffectSSHNoRootLogin, Subject: "root", Value: "no"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, sshdOptionTemplate{}, tt.args, fxTree(t, tt.files))
			got := planned(t, ch, tt.file)
			fxContains(t, tt.file, got, tt.want...)
			fxLacks(t, tt.file, got, tt.lacks...)
			fxHasEffect(t, ch, tt.effect)
			if strings.Count(planned(t, ch, "etc/ssh/sshd_config"), sshdBlockBegin) > 1 {
				t.Error("want at most one managed block")
			}
		})
	}
}

func TestSSHDCryptoFix(t *testing.T) {
	t.Run("debian additions removed", func(t *testing.T) {
		tg := fxTree(t, fxDebian, map[string]string{"etc/ssh/sshd_config.d/00-local.conf": "Ciphers +aes128-cbc,3des-cbc\n"})
		ch := fixRoundTrip(t, sshdCryptoTemplate{}, `{option: Ciphers, forbidden: ["*-cbc", "3des-*"]}`, tg)
		fxContains(t, "sshd_config", planned(t, ch, "etc/ssh/sshd_config"),
			sshdBlockBegin+"\nCiphers chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com\n")
		fxContains(t, "drop-in", planned(t, ch, "etc/ssh/sshd_config.d/00-local.conf"), "#cradle: Ciphers +aes128-cbc,3des-cbc")
		fxHasEffect(t, ch, remedy.Effect{Kind: remedy.EffectSSHRestrict, Subject: "Ciphers",
			Value: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"})
	})
	t.Run("rhel 9 policy kept, not edited", func(t *testing.T) {
		ch := fixRoundTrip(t, sshdCryptoTemplate{}, `{option: MACs, forbidden: ["hmac-sha1*", "umac-64*"]}`, fxTree(t, fxRHEL9))
		fxContains(t, "sshd_config", planned(t, ch, "etc/ssh/sshd_config"),
			"\nMACs hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,umac-128@openssh.com,hmac-sha2-512\n")
		for _, p := range fxPaths(ch) {
			if p != "/etc/ssh/sshd_config" {
				t.Errorf("unexpected write %s", p)
			}
		}
	})
	t.Run("rhel 8 command-line policy", func(t *testing.T) {
		tg := fxTree(t, fxRHEL9, map[string]string{
			"etc/os-release": "ID=\"rhel\"\nVERSION_ID=\"8.10\"\n",
			"usr/share/crypto-policies/DEFAULT/opensshserver.txt": "CRYPTO_POLICY='-oCiphers=aes256-gcm@openssh.com,aes256-cbc -oMACs=hmac-sha2-256-etm@openssh.com -oGSSAPIKexAlgorithms=gss-curve25519-sha256-'\n",
			"etc/ssh/sshd_config.d/50-redhat.conf":                "SyslogFacility AUTHPRIV\n",
		})
		ch := fixRoundTrip(t, sshdCryptoTemplate{}, `{option: Ciphers, forbidden: ["*-cbc"]}`, tg)
		fxContains(t, "sysconfig", planned(t, ch, "etc/sysconfig/sshd"), "\nCRYPTO_POLICY=\n")
		fxContains(t, "sshd_config", planned(t, ch, "etc/ssh/sshd_config"),
			"Ciphers aes256-gcm@openssh.com\nMACs hmac-sha2-256-etm@openssh.com\nGSSAPIKexAlgorithms gss-curve25519-sha256-\n")
	})
}

// Several sshd rules planned into one change set share one block and all
// pass on the result.
func TestSSHDFixComposition(t *testing.T) {
	tg := fxTree(t, fxDebian, map[string]string{
		"etc/ssh/sshd_config.d/00-cradle-break.conf": "PermitRootLogin yes\nX11Forwarding yes\nMaxAuthTries 10\nCiphers +aes128-cbc\nMACs +hmac-md5,hmac-sha1-96\n",
	})
	ch := remedy.New(tg)
	type rl struct {
		opt  bool
		args string
	}
	list := []rl{
		{true, `{option: PermitRootLogin, allowed: ["no", "prohibit-password"]}`},
		{true, `{option: PermitRootLogin, allowed: ["no"]}`},
		{true, `{option: X11Forwarding, allowed: ["no"]}`},
		{true, `{option: MaxAuthTries, max: 4}`},
		{false, `{option: Ciphers, forbidden: ["*-cbc"]}`},
		{false, `{option: MACs, forbidden: ["*md5*", "*-96"]}`},
		{false, `{option: MACs, forbidden: ["hmac-sha1*", "umac-64*"]}`},
	}
	for i, r := range list {
		if r.opt {
			fxPlan(t, ch, "r"+string(rune('a'+i)), sshdOptionTemplate{}, r.args)
		} else {
			fxPlan(t, ch, "r"+string(rune('a'+i)), sshdCryptoTemplate{}, r.args)
		}
	}
	ov := ch.Overlay()
	for _, r := range list {
		var st result.Status
		if r.opt {
			st = kcEval(t, sshdOptionTemplate{}, r.args, ov).Status
		} else {
			st = kcEval(t, sshdCryptoTemplate{}, r.args, ov).Status
		}
		if st != result.Pass {
			t.Errorf("%s: %s after the combined fix", r.args, st)
		}
	}
	main := planned(t, ch, "etc/ssh/sshd_config")
	if strings.Count(main, sshdBlockBegin) != 1 || strings.Count(main, sshdBlockEnd) != 1 {
		t.Fatalf("want one block:\n%s", main)
	}
	fxContains(t, "sshd_config", main, sshdBlockBegin+"\nPermitRootLogin no\nX11Forwarding no\nMaxAuthTries 4\nCiphers ", "\nMACs umac-128-etm@openssh.com,")
	fxLacks(t, "sshd_config", main, "hmac-sha1", "umac-64")
	drop := planned(t, ch, "etc/ssh/sshd_config.d/00-cradle-break.conf")
	if strings.Count(drop, fixDisabledPrefix) != 5 {
		t.Errorf("want every break line commented out:\n%s", drop)
	}
	// The rules' ops name their own rule; the file is written once.
	writes := 0
	for _, pc := range ch.Final() {
		if pc.Path == "etc/ssh/sshd_config" {
			writes++
			if len(pc.Rules) < 5 {
				t.Errorf("sshd_config rules %v", pc.Rules)
			}
		}
	}
	if writes != 1 {
		t.Errorf("sshd_config in Final %d times", writes)
	}
	// Nothing is left to do on the planned state.
	ctx := context.Background()
	c := newCheck(t, sshdOptionTemplate{}, list[0].args)
	if o := c.Evaluate(ctx, facts.NewStore(ctx, ov)); o.Status != result.Pass {
		t.Errorf("re-plan needed: %s", o.Status)
	}
}
