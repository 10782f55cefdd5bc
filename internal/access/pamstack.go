package access

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/pam"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// PAM return values the model distinguishes (a subset of libpam's).
const (
	rSuccess       = "success"
	rNewAuthtok    = "new_authtok_reqd"
	rAcctExpired   = "acct_expired"
	rPermDenied    = "perm_denied"
	rUserUnknown   = "user_unknown"
	rIgnore        = "ignore"
	rModuleUnknown = "module_unknown"
	rUnknown       = "" // not modelled: both outcomes are tried
)

// outcome is one module's result for one account, with why.
type outcome struct {
	code, why string
	// deny marks pam_deny, whose refusal is explained by the module
	// whose failure led to it.
	deny bool
}

// maxUnknown bounds the modules whose outcome is tried both ways (2^n
// evaluations of the stack).
const maxUnknown = 6

// pamAccount evaluates the account stack of service for a, the way
// libpam's dispatcher runs it (pam_dispatch.c): each module's result is
// mapped through its control to an action (ok, done, bad, die, ignore,
// reset or a jump), and the stack passes when its final status is
// PAM_SUCCESS. Modules cradle does not model are tried as succeeding and
// as failing; when that changes the verdict it is unknown.
func (b *builder) pamAccount(service string, a *Account) Verdict {
	if b.pam == nil {
		return Verdict{Status: PAMUnknown, Reason: "PAM configuration unreadable"}
	}
	if !b.pam.Present {
		return Verdict{Status: PAMNotUsed}
	}
	st, ok := b.stacks[service]
	if !ok {
		st.entries, st.err = b.pam.Stack(service, "account")
		st.name = service
		if errors.Is(st.err, pam.ErrNoService) {
			st.name = "other" // libpam's fallback for a service without a file
			st.entries, st.err = b.pam.Stack(st.name, "account")
		}
		if b.stacks == nil {
			b.stacks = map[string]pamStack{}
		}
		b.stacks[service] = st
	}
	if st.err != nil {
		return Verdict{Status: PAMUnknown, Reason: st.err.Error()}
	}
	stack, service := st.entries, st.name
	outs := make([]outcome, len(stack))
	var unknown []int
	for i, e := range stack {
		outs[i] = b.module(e, a)
		if outs[i].code == rUnknown {
			unknown = append(unknown, i)
		}
	}
	if len(unknown) > maxUnknown {
		return Verdict{Status: PAMUnknown, Reason: fmt.Sprintf("%d modules of the %s account stack are not modelled", len(unknown), service)}
	}
	var first Verdict
	for mask := 0; mask < 1<<len(unknown); mask++ {
		for j, i := range unknown {
			outs[i].code = rPermDenied
			if mask&(1<<j) == 0 {
				outs[i].code = rSuccess
			}
		}
		v := runStack(stack, outs)
		if mask == 0 {
			first = v
		} else if v.Status != first.Status {
			var names []string
			for _, i := range unknown {
				names = append(names, fmt.Sprintf("%s (%s:%d)", stack[i].ModuleName(), stack[i].File, stack[i].Line))
			}
			return Verdict{Status: PAMUnknown, Reason: "the outcome depends on modules cradle does not model: " + strings.Join(names, ", ")}
		}
	}
	return first
}

// pamStack is a service's expanded account stack, computed once per model.
type pamStack struct {
	name    string // the service whose file it is ("other" as fallback)
	entries []pam.Entry
	err     error
}

// Actions of a control.
const (
	actIgnore = 0
	actOK     = -1
	actDone   = -2
	actBad    = -3
	actDie    = -4
	actReset  = -5
)

// action maps a module result through a control ("required", or
// "[success=1 default=ignore]") to an action; a positive action jumps.
func action(control, code string) int {
	switch control {
	case "required", "requisite":
		switch code {
		case rSuccess, rNewAuthtok:
			return actOK
		case rIgnore:
			return actIgnore
		}
		if control == "requisite" {
			return actDie
		}
		return actBad
	case "sufficient":
		if code == rSuccess || code == rNewAuthtok {
			return actDone
		}
		return actIgnore
	case "optional":
		if code == rSuccess || code == rNewAuthtok {
			return actOK
		}
		return actIgnore
	}
	// A bracket control; a value without an entry and no default is bad.
	def := actBad
	for _, kv := range strings.Fields(strings.Trim(control, "[]")) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		act := actionWord(v)
		switch {
		case strings.ToLower(k) == code:
			return act
		case strings.ToLower(k) == "default":
			def = act
		case code == rModuleUnknown && strings.ToLower(k) == "module_unknown":
			return act
		}
	}
	return def
}

func actionWord(v string) int {
	switch strings.ToLower(v) {
	case "ignore":
		return actIgnore
	case "ok":
		return actOK
	case "done":
		return actDone
	case "bad":
		return actBad
	case "die":
		return actDie
	case "reset":
		return actReset
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return n
	}
	return actBad
}

// runStack is libpam's dispatch loop over known outcomes.
func runStack(stack []pam.Entry, outs []outcome) Verdict {
	const undef, positive, negative = 0, 1, 2
	impression, status, why := undef, rPermDenied, "empty account stack"
	cause, deny := "", false
	skip := 0
loop:
	for i, e := range stack {
		if skip > 0 {
			skip--
			continue
		}
		o := outs[i]
		if cause == "" && o.code != rSuccess && o.code != rIgnore && !o.deny {
			cause = o.why
		}
		act := action(e.Control, o.code)
		switch act {
		case actReset:
			impression, status, why = undef, rPermDenied, "stack reset"
		case actOK, actDone:
			if impression == undef || (impression == positive && status == rSuccess) {
				if o.code != rIgnore {
					impression, status, why = positive, o.code, o.why
				}
			}
			if impression != negative && act == actDone {
				break loop
			}
		case actBad, actDie:
			if impression != negative {
				impression, status, why, deny = negative, o.code, o.why, o.deny
			}
			if act == actDie {
				break loop
			}
		case actIgnore:
		default: // jump
			if impression == undef || (impression == positive && status == rSuccess) {
				if o.code != rIgnore {
					impression, status, why = positive, o.code, o.why
				}
			}
			skip = act
		}
	}
	if status == rSuccess && impression != positive {
		status = rPermDenied
	}
	switch status {
	case rSuccess:
		return Verdict{Status: PAMPass}
	case rNewAuthtok:
		return Verdict{Status: PAMChangeRequired, Reason: why}
	}
	if deny && cause != "" {
		why = cause
	}
	if why == "" {
		why = status
	}
	return Verdict{Status: PAMRefuse, Reason: why}
}

// module is the modelled result of one account module for a.
func (b *builder) module(e pam.Entry, a *Account) outcome {
	where := fmt.Sprintf("%s (%s:%d)", e.ModuleName(), e.File, e.Line)
	if miss := b.moduleMissing(e.Module); miss {
		if e.Quiet {
			return outcome{code: rIgnore}
		}
		return outcome{code: rModuleUnknown, why: "module " + e.Module + " is not installed (" + e.File + ":" + strconv.Itoa(e.Line) + ")"}
	}
	switch strings.TrimSuffix(e.ModuleName(), ".so") {
	case "pam_unix":
		switch a.Expiry.Status {
		case PAMRefuse:
			return outcome{code: rAcctExpired, why: a.Expiry.Reason}
		case PAMChangeRequired:
			return outcome{code: rNewAuthtok, why: a.Expiry.Reason}
		case PAMUnknown:
			return outcome{code: rUnknown, why: a.Expiry.Reason}
		}
		return outcome{code: rSuccess}
	case "pam_nologin":
		f := b.nologin
		if v, ok := e.Arg("file"); ok {
			f = ""
			if fi, err := b.t.Stat(v); err == nil && fi.Mode.IsRegular() {
				f = v
			}
		}
		if f == "" || a.UID == 0 {
			if _, ok := e.Arg("successok"); ok {
				return outcome{code: rSuccess}
			}
			return outcome{code: rIgnore}
		}
		return outcome{code: rPermDenied, why: f + " exists (pam_nologin)"}
	case "pam_permit", "pam_faillock", "pam_tally2", "pam_localuser":
		// pam_faillock and pam_tally2 only reset counters in account;
		// every modelled account is in the local passwd.
		return outcome{code: rSuccess}
	case "pam_deny":
		return outcome{code: rPermDenied, why: "pam_deny at " + e.File + ":" + strconv.Itoa(e.Line), deny: true}
	case "pam_access":
		if b.rulesFree(e, "accessfile", "etc/security/access.conf") {
			return outcome{code: rSuccess}
		}
	case "pam_time":
		if b.rulesFree(e, "conffile", "etc/security/time.conf") {
			return outcome{code: rSuccess}
		}
	case "pam_succeed_if":
		if code, ok := succeedIf(e.Args, a); ok {
			if code == rSuccess {
				return outcome{code: rSuccess}
			}
			return outcome{code: code, why: "condition of " + where + " not met"}
		}
	}
	return outcome{code: rUnknown, why: where}
}

// moduleMissing reports whether the module file is absent from every PAM
// module directory of the target; a target without any such directory
// (a bare configuration tree) is not judged.
func (b *builder) moduleMissing(mod string) bool {
	if miss, ok := b.missing[mod]; ok {
		return miss
	}
	miss := false
	if strings.HasPrefix(mod, "/") {
		miss = !target.Exists(b.t, mod)
	} else if dirs := b.moduleDirs(); len(dirs) > 0 {
		miss = true
		for _, d := range dirs {
			if target.Exists(b.t, path.Join(d, mod)) {
				miss = false
				break
			}
		}
	}
	if b.missing == nil {
		b.missing = map[string]bool{}
	}
	b.missing[mod] = miss
	return miss
}

func (b *builder) moduleDirs() []string {
	if b.pamDirs != nil {
		return *b.pamDirs
	}
	var dirs []string
	for _, base := range []string{"lib", "lib64", "usr/lib", "usr/lib64"} {
		if fi, err := b.t.Stat(base + "/security"); err == nil && fi.Mode.IsDir() {
			dirs = append(dirs, base+"/security")
		}
		ents, err := b.t.ReadDir(base)
		if err != nil {
			continue
		}
		for _, en := range ents {
			if strings.HasSuffix(en.Name, "-linux-gnu") || strings.HasSuffix(en.Name, "-linux-gnueabihf") {
				d := base + "/" + en.Name + "/security"
				if fi, err := b.t.Stat(d); err == nil && fi.Mode.IsDir() {
					dirs = append(dirs, d)
				}
			}
		}
	}
	b.pamDirs = &dirs
	return dirs
}

// rulesFree reports whether a module's configuration file has no rule
// (only comments and blank lines, or is absent): pam_access and pam_time
// then grant access.
func (b *builder) rulesFree(e pam.Entry, arg, def string) bool {
	f := def
	if v, ok := e.Arg(arg); ok {
		f = v
	}
	data, err := target.ReadFileLimit(b.t, f, 1<<20)
	if err != nil {
		return false
	}
	for _, l := range textline.Split(data) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// succeedIf evaluates the pam_succeed_if conditions cradle models (uid
// and gid comparisons, user =, !=, in, notin, ingroup, notingroup); ok is
// false for anything else.
func succeedIf(args []string, a *Account) (string, bool) {
	var conds [][]string
	useUID := false
	var toks []string
	for _, x := range args {
		switch x {
		case "quiet", "quiet_fail", "quiet_success", "debug", "audit":
			continue
		case "use_uid":
			useUID = true
			continue
		}
		toks = append(toks, x)
	}
	if useUID {
		return "", false
	}
	if len(toks) == 0 || len(toks)%3 != 0 {
		return "", false // "or" joins, or an odd argument
	}
	for i := 0; i < len(toks); i += 3 {
		conds = append(conds, toks[i:i+3])
	}
	for _, c := range conds {
		ok, known := condition(c[0], c[1], c[2], a)
		if !known {
			return "", false
		}
		if !ok {
			return rPermDenied, true // pam_succeed_if returns PAM_AUTH_ERR: a failure
		}
	}
	return rSuccess, true
}

func condition(field, op, val string, a *Account) (bool, bool) {
	switch field {
	case "uid", "gid":
		if field == "gid" {
			return false, false // the primary gid is not kept on Account
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return false, false
		}
		v := int64(a.UID)
		switch op {
		case "<", "lt":
			return v < n, true
		case "<=", "le":
			return v <= n, true
		case ">", "gt":
			return v > n, true
		case ">=", "ge":
			return v >= n, true
		case "=", "eq":
			return v == n, true
		case "!=", "ne":
			return v != n, true
		}
	case "user":
		switch op {
		case "=":
			return a.Name == val, true
		case "!=":
			return a.Name != val, true
		case "in", "notin":
			in := contains(strings.Split(val, ":"), a.Name)
			return in == (op == "in"), true
		case "ingroup", "notingroup":
			in := false
			for _, g := range strings.Split(val, ":") {
				in = in || contains(a.Groups, g)
			}
			return in == (op == "ingroup"), true
		}
	}
	return false, false
}
