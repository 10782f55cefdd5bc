package checks

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/collect/pam"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Preconditions of PAM fixes, checked on the planned state: a change whose
// precondition fails is deferred with the reason instead of made, because
// PAM fails closed and a broken stack locks everyone out.

// pwqualitySource is where libpwquality reads its settings: the drop-ins
// of pwquality.conf.d first, then pwquality.conf (kvconf.Pwquality).
var pwqualitySource = kvconf.Source{Syntax: kvconf.Pwquality, Paths: []string{"/etc/security/pwquality.conf"}}

// cracklibDicts are the dictionary paths (without suffix) libcrack is
// built with: Debian and Ubuntu, then RHEL, Fedora, SUSE and Arch, then
// older layouts.
var cracklibDicts = []string{"/var/cache/cracklib/cracklib_dict", "/usr/share/cracklib/pw_dict", "/usr/lib/cracklib_dict"}

// pamNeedsDictionary reports whether setting key to value on module (or,
// with key "", inserting module) makes password changes depend on the
// cracklib dictionary: pam_cracklib always reads it; pam_pwquality does
// with dictcheck on (its default), and enforce_for_root extends the
// rejection from users to root.
func pamNeedsDictionary(module, key, value string) bool {
	switch module {
	case "pam_cracklib.so":
		return key == ""
	case "pam_pwquality.so":
		return key == "" || key == "enforce_for_root" || key == "dictcheck" && value != "0"
	}
	return false
}

// pwqualityDictionaryMissing says why the cracklib dictionary pam_pwquality
// would read is unusable, or "" when it is usable or dictcheck is off. e
// is the module's line, whose arguments override pwquality.conf.
// With on, the dictionary is checked whatever dictcheck says (the change
// turns dictcheck on).
func pwqualityDictionaryMissing(ctx context.Context, ch *remedy.Changes, e *pam.Entry, on bool) (string, error) {
	cfg, err := kvconf.Collect(ctx, ch.Overlay(), pwqualitySource)
	if err != nil {
		return "", fmt.Errorf("read pwquality configuration: %w", err)
	}
	setting := func(k string) (string, bool) {
		if e != nil {
			if v, ok := e.Arg(k); ok {
				return v, true
			}
		}
		if ce := cfg.Lookup("", k, false, false); ce != nil {
			return ce.Value, true
		}
		return "", false
	}
	if v, ok := setting("dictcheck"); !on && ok && strings.TrimSpace(v) == "0" {
		return "", nil
	}
	dictpath, _ := setting("dictpath")
	return cracklibMissing(ch, dictpath), nil
}

// cracklibMissing checks a cracklib dictionary (dictpath, or the built-in
// locations when empty): its index (.pwi) and words (.pwd, or .pwd.gz)
// must exist; the .hwm file is optional.
func cracklibMissing(ch *remedy.Changes, dictpath string) string {
	cands := cracklibDicts
	if dictpath != "" {
		cands = []string{dictpath}
	}
	for _, p := range cands {
		if ch.Exists(p+".pwi") && (ch.Exists(p+".pwd") || ch.Exists(p+".pwd.gz")) {
			return ""
		}
	}
	return fmt.Sprintf("the cracklib dictionary is missing (no .pwd and .pwi at %s): with dictcheck on, pam_pwquality rejects every new password as failing the dictionary check, and with enforce_for_root root's too; install cracklib-runtime (Debian) or cracklib-dicts (RHEL), or set dictcheck = 0",
		orList(cands))
}

// cracklibGuard is the config_kv guard for pwquality.conf settings that
// make password changes depend on the dictionary.
func cracklibGuard(ctx context.Context, ch *remedy.Changes, key string, cands []string) (kvGuardResult, error) {
	v := cands[0]
	if key == "" || !pamNeedsDictionary("pam_pwquality.so", key, v) {
		return kvGuardResult{Value: v}, nil
	}
	why, err := pwqualityDictionaryMissing(ctx, ch, nil, key == "dictcheck")
	if err != nil || why == "" {
		return kvGuardResult{Value: v}, err
	}
	return kvGuardResult{Defer: why}, nil
}

// authselectFiles are the PAM files authselect generates from its profile.
var authselectFiles = map[string]bool{"system-auth": true, "password-auth": true, "smartcard-auth": true, "fingerprint-auth": true, "postlogin": true}

// authselectFeatures name the authselect feature that makes a change.
var authselectFeatures = map[string]string{"pam_faillock.so": "with-faillock", "pam_pwhistory.so": "with-pwhistory"}

// authselectManaged says why file must not be edited when authselect
// manages PAM (/etc/authselect/authselect.conf exists): authselect
// rewrites the files it generates on the next select or apply-changes,
// and "authselect check" then reports them as modified. what describes an
// argument change, to name the feature that makes it.
func authselectManaged(ch *remedy.Changes, file, module, what string) string {
	if !ch.Exists("etc/authselect/authselect.conf") {
		return ""
	}
	f := target.Abs(file)
	if !strings.HasPrefix(f, "/etc/authselect/") && !(path.Dir(f) == "/etc/pam.d" && authselectFiles[path.Base(f)]) {
		return ""
	}
	feature := authselectFeatures[module]
	if module == "pam_unix.so" && strings.Contains(what, "remove nullok") {
		feature = "without-nullok"
	}
	if feature != "" {
		return "managed by authselect: run authselect enable-feature " + feature
	}
	return "managed by authselect: " + f + " is generated from the selected profile; make the change in a custom profile (authselect create-profile, then authselect select custom/NAME)"
}

// pamPackageHint names the package that provides a PAM module.
func pamPackageHint(module string) string {
	switch module {
	case "pam_pwquality.so":
		return " (install libpam-pwquality on Debian, libpwquality on RHEL)"
	case "pam_cracklib.so":
		return " (install libpam-cracklib)"
	case "pam_faillock.so", "pam_pwhistory.so", "pam_wheel.so":
		return " (it ships with libpam-modules on Debian and pam on RHEL)"
	}
	return ""
}
