package fix

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/access"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// AccessCheck is the plan's record of who can get in and escalate: the
// model of the target before the plan, and of the planned state. A rule
// whose changes would take away a way in or up that worked (an SSH key
// login, a password login, a sudo grant, sudo without a password) is
// refused before anything is written, unless forced; after --apply the
// changed target is modelled again and compared with the planned state.
type AccessCheck struct {
	Now     time.Time
	Before  *access.Model
	Planned *access.Model
	// Accepted are the losses of forced rules, by rule.
	Accepted map[string][]access.Loss
	// Err is set when the target's access could not be modelled; the
	// check is then skipped and the plan says so.
	Err error
}

// maxLossesShown bounds the losses a refusal reason lists.
const maxLossesShown = 8

// newAccessCheck models the target before any change.
func newAccessCheck(ctx context.Context, t target.Target, now time.Time) *AccessCheck {
	if now.IsZero() {
		now = time.Now()
	}
	a := &AccessCheck{Now: now, Accepted: map[string][]access.Loss{}}
	a.Before, a.Err = access.Compute(ctx, t, now)
	a.Planned = a.Before
	return a
}

// checkRule compares the planned state after rf's operations with the
// planned state before them, and refuses rf (discarding its operations)
// when a way in or up would be lost and rf is not forced. It is called
// right after the rule is planned, while its operations can still be
// discarded.
func (a *AccessCheck) checkRule(ctx context.Context, ch *remedy.Changes, rf RuleFix, force []string) RuleFix {
	if a == nil || (rf.Status != StatusPlanned && rf.Status != StatusPartial) {
		return rf
	}
	ops := ch.RuleOps(rf.Rule)
	if a.Err != nil {
		for _, op := range ops {
			if accessFile(op.Path) {
				rf.Reason = joinReason(rf.Reason, "who can log in was not verified: "+a.Err.Error())
				break
			}
		}
		return rf
	}
	if a.Planned == nil {
		return rf
	}
	losses := packageLosses(a.Planned, rf.Rule, ch.RuntimeChanges())
	touches := false
	for _, op := range ops {
		touches = touches || (op.Path != "" && !op.Deferred() && a.Planned.Reads(op.Path) && !sshdIrrelevant(op))
	}
	var after *access.Model
	var narrowed []access.Loss
	if touches {
		m, err := access.Compute(ctx, ch.Overlay(), a.Now)
		if err != nil {
			// The planned state cannot be modelled: that is itself a
			// reason not to apply this rule blind.
			losses = append(losses, access.Loss{User: "*", Way: "access model", Reason: err.Error(), Unknown: true})
		} else {
			after = m
			all := access.Diff(a.Planned, m)
			lock := access.Lockouts(m, all)
			for _, l := range all {
				if !slices.Contains(lock, l) {
					narrowed = append(narrowed, l)
				}
			}
			losses = append(losses, lock...)
		}
	}
	if len(narrowed) > 0 {
		rf.Reason = joinReason(rf.Reason, "narrows access without locking anyone out: "+lossList(narrowed))
	}
	if len(losses) == 0 {
		if after != nil {
			a.Planned = after
		}
		return rf
	}
	if slices.Contains(force, rf.Rule) {
		a.Accepted[rf.Rule] = losses
		if after != nil {
			a.Planned = after
		}
		rf.Reason = joinReason(rf.Reason, "forced although it locks out: "+lossList(losses))
		return rf
	}
	ch.Abort()
	rf.Status = StatusRefused
	rf.Reason = "would lock out: " + lossList(losses) + "; re-run with --force " + rf.Rule + " to apply anyway"
	return rf
}

// accessFile reports whether p is one of the files access is decided by,
// for the note when the model could not be built.
func accessFile(p string) bool {
	p = target.Clean(p)
	for _, pre := range []string{"etc/passwd", "etc/shadow", "etc/group", "etc/ssh/", "etc/sudoers", "etc/pam.d/", "etc/security/", "etc/nologin"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// sshdAccessKeywords are the sshd keywords the access model reads.
var sshdAccessKeywords = map[string]bool{
	"PermitRootLogin": true, "PasswordAuthentication": true, "PubkeyAuthentication": true,
	"KbdInteractiveAuthentication": true, "UsePAM": true, "PermitEmptyPasswords": true,
	"AllowUsers": true, "DenyUsers": true, "AllowGroups": true, "DenyGroups": true,
	"AuthenticationMethods": true, "AuthorizedKeysFile": true, "AuthorizedKeysCommand": true,
	"Match": true, "Include": true,
}

// sshdIrrelevant reports whether op is an edit of an sshd configuration
// file whose changed lines (its diff, with lines commented out by cradle
// read as the line) set only keywords the access model does not read:
// the crypto, logging and forwarding rules then cost no new model.
func sshdIrrelevant(op *remedy.Op) bool {
	if op.Kind != remedy.KindWrite || op.Diff == "" || !isSSHDConfig(target.Clean(op.Path)) {
		return false
	}
	for _, l := range strings.Split(op.Diff, "\n") {
		if strings.HasPrefix(l, "+++") || strings.HasPrefix(l, "---") || (!strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "-")) {
			continue
		}
		l = strings.TrimSpace(l[1:])
		l = strings.TrimSpace(strings.TrimPrefix(l, "#cradle:"))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		kw, _, _ := strings.Cut(strings.ReplaceAll(l, "=", " "), " ")
		if sshdAccessKeywords[sshd.Canonical(strings.TrimSpace(kw))] {
			return false
		}
	}
	return true
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "; " + b
}

func lossList(ls []access.Loss) string {
	s := access.Summary(ls)
	if len(s) > maxLossesShown {
		s = append(s[:maxLossesShown:maxLossesShown], fmt.Sprintf("and %d more", len(ls)-maxLossesShown))
	}
	return strings.Join(s, "; ")
}

// accessPackages are the packages whose removal takes away every way of a
// kind; the overlay cannot show a package manager's removal.
var accessPackages = map[string][]string{
	"openssh-server": {access.KindSSHKey, access.KindSSHPassword, access.KindSSHMulti},
	"sudo":           {access.KindSudo},
	"sudo-ldap":      {access.KindSudo},
}

// packageLosses lists the working ways the package removals of rule end.
func packageLosses(m *access.Model, rule string, rt []remedy.Runtime) []access.Loss {
	var out []access.Loss
	for _, r := range rt {
		kinds := accessPackages[r.Key]
		if r.Kind != remedy.KindPackage || r.Action != "remove" || len(kinds) == 0 || !slices.Contains(r.Rules, rule) {
			continue
		}
		for _, acc := range m.Accounts {
			for _, w := range acc.Ways {
				if w.Status == access.Works && slices.Contains(kinds, w.Kind) {
					out = append(out, access.Loss{User: acc.Name, Way: w.Name, Kind: w.Kind, Reason: "package " + r.Key + " removed"})
				}
			}
		}
	}
	return out
}

// VerifyAccess models the changed target after an apply and lists what
// worked in the planned state and does not now: what the plan did not
// foresee (a file changed behind it, a package manager's side effects).
// On the live host it also runs sshd -t and visudo -c when the plan
// changed their files. A non-empty result means the run must be rolled
// back.
func (p *Plan) VerifyAccess(ctx context.Context, t target.Target) ([]string, error) {
	var problems []string
	if a := p.Access; a != nil && a.Err == nil && a.Planned != nil {
		m, err := access.Compute(ctx, t, a.Now)
		if err != nil {
			return nil, fmt.Errorf("access after the changes: %w", err)
		}
		problems = append(problems, access.Summary(access.Diff(a.Planned, m))...)
	}
	if t.Live() && t.Kind() == target.KindHost {
		problems = append(problems, liveTools(ctx, p.Changes.Final())...)
	}
	return problems, nil
}

// liveTools runs the host's own sshd -t and visudo -c over the installed
// configuration when the plan wrote files they read.
func liveTools(ctx context.Context, final []remedy.PathChange) []string {
	var ssh, sudo bool
	for _, pc := range final {
		ssh = ssh || isSSHDConfig(pc.Path)
		sudo = sudo || isSudoers(pc.Path)
	}
	var out []string
	run := func(name string, args ...string) {
		bin, err := exec.LookPath(name)
		if err != nil {
			for _, dir := range []string{"/usr/sbin/", "/sbin/"} {
				if _, e := exec.LookPath(dir + name); e == nil {
					bin, err = dir+name, nil
					break
				}
			}
		}
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if b, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
			out = append(out, fmt.Sprintf("%s %s: %s", name, strings.Join(args, " "), strings.TrimSpace(string(b))))
		}
	}
	if ssh {
		run("sshd", "-t")
	}
	if sudo {
		run("visudo", "-c", "-q")
	}
	return out
}
