package impact

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/kmodloaded"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

const maxEvidence = 8 // listed items per evidence string

// rank orders levels for the worst of an operation's effects: none <
// possible < unknown < observed. possible is a verdict reached from
// sources that were read; unknown says an effect could not be checked at
// all, and an unchecked effect may be one that would be observed. So an
// operation with an unknown and a possible effect is unknown (and keeps
// the evidence of both); one with an observed effect is observed
// whatever else is unknown; only observed outranks unknown.
func rank(level string) int {
	switch level {
	case remedy.ImpactObserved:
		return 3
	case remedy.ImpactUnknown:
		return 2
	case remedy.ImpactPossible:
		return 1
	}
	return 0
}

// Rank exposes the ordering of impact levels (see rank) to the planner.
func Rank(level string) int { return rank(level) }

var levels = [...]string{remedy.ImpactNone, remedy.ImpactPossible, remedy.ImpactUnknown, remedy.ImpactObserved}

// Assess rates op by the worst impact of its effects, with the evidence of
// the effects at that level (for unknown, first what could not be checked,
// then what was seen as possible). An op without effects has none.
func (s *Signals) Assess(op *remedy.Op) remedy.Impact {
	out := remedy.Impact{Level: remedy.ImpactNone}
	if op == nil {
		return out
	}
	// Evidence per level, each in order without repeats: one set per
	// level, built once, so an op with many effects (an account file
	// edit for every account) is assessed in linear time.
	var sets [len(levels)]orderedSet
	for _, e := range op.Effects {
		lvl, ev := s.assess(e)
		sets[rank(lvl)].add(ev...)
	}
	for r := len(sets) - 1; r >= 0; r-- {
		if len(sets[r].list) > 0 || r == 0 {
			out.Level = levels[r]
			ev := sets[r].list
			if out.Level == remedy.ImpactUnknown {
				ev = append(append([]string{}, ev...), sets[rank(remedy.ImpactPossible)].list...)
			}
			out.Evidence = remedy.CapEvidence(ev, remedy.MaxImpactEvidence)
			break
		}
	}
	return out
}

// orderedSet keeps strings in first-seen order without repeats.
type orderedSet struct {
	seen map[string]bool
	list []string
}

func (o *orderedSet) add(xs ...string) {
	for _, x := range xs {
		if o.seen == nil {
			o.seen = map[string]bool{}
		}
		if !o.seen[x] {
			o.seen[x] = true
			o.list = append(o.list, x)
		}
	}
}

func (s *Signals) assess(e remedy.Effect) (string, []string) {
	switch e.Kind {
	case remedy.EffectSSHNoRootLogin:
		return s.sshNoRoot(e.Value)
	case remedy.EffectSSHNoPassword:
		return s.sshNoPassword()
	case remedy.EffectServiceOff:
		return s.serviceOff(e.Subject)
	case remedy.EffectModuleBlock:
		return s.moduleBlock(e.Subject)
	case remedy.EffectSysctl:
		return s.sysctlRuntime(e.Subject, e.Value)
	case remedy.EffectMountOptions:
		return s.mountOptions(e.Subject, e.Value)
	case remedy.EffectPackageRemove:
		return s.packageRemoval(e.Subject)
	case remedy.EffectAccountChange:
		return s.accountUse(e)
	case remedy.EffectSudoPassword:
		return s.sudoRequirePassword(e.Subject, e.Value)
	case remedy.EffectAuthPolicy:
		return s.sudoPolicy(e)
	case remedy.EffectPackageInstall:
		return s.packageInstall(e.Subject)
	case remedy.EffectSchedulerLimit:
		return s.schedulerLimit(e.Subject)
	case remedy.EffectFirewallDeny:
		return s.firewallDeny(e.Subject, e.Value)
	}
	return remedy.ImpactNone, nil
}

func (s *Signals) windowText() string {
	d := s.Window
	if d%(24*60*60*1e9) == 0 {
		return fmt.Sprintf("the last %d days", int(d.Hours()/24))
	}
	return "the last " + d.String()
}

// verdict gathers the findings for one effect: the level of what was
// seen, and what could not be checked for lack of a source.
type verdict struct {
	level   string
	ev      []string
	unknown []string
}

// see raises the seen level to l and adds the evidence.
func (v *verdict) see(l string, ev ...string) {
	if v.level == "" || rank(l) > rank(v.level) {
		v.level = l
	}
	v.ev = append(v.ev, ev...)
}

// cannot records what could not be looked at.
func (v *verdict) cannot(why string) { v.unknown = append(v.unknown, why) }

// result is observed when something was observed; otherwise unknown when
// anything could not be checked (what could be observed was not looked
// at), with what was seen after the reasons; otherwise the level seen.
func (v *verdict) result() (string, []string) {
	switch {
	case v.level == remedy.ImpactObserved:
		return v.level, v.ev
	case len(v.unknown) > 0:
		return remedy.ImpactUnknown, append(v.unknown, v.ev...)
	case v.level == "":
		return remedy.ImpactNone, v.ev
	}
	return v.level, v.ev
}

// gap checks that source name was read completely before its absence of
// evidence counts: partly read makes the verdict possible, not read at all
// (offline target, no such file) unknown. what names what the source would
// have shown. It reports whether the source was read completely.
func (s *Signals) gap(v *verdict, name, what string) bool {
	src, ok := s.Source(name)
	switch {
	case ok && src.Status == SourceRead:
		return true
	case ok && src.Status == SourcePartial:
		v.see(remedy.ImpactPossible, fmt.Sprintf("%s not ruled out: %s read in part (%s)", what, name, src.Detail))
	case ok && src.Detail == offlineDetail || !ok && !s.Live:
		v.cannot("offline target: " + what + " not checked")
	default:
		why := "not read"
		if ok && src.Detail != "" {
			why = src.Detail
		}
		v.cannot(fmt.Sprintf("%s not checked: %s (%s)", what, name, why))
	}
	return false
}

// noLogin records the verdict for "no login seen": none only when a login
// source (LoginSources: authentication logs, journal) was read completely
// within the window; possible when they were read only in part (budget
// spent, unreadable file, too many logins); unknown when none was read.
func (s *Signals) noLogin(v *verdict, what string) {
	var read, partial, missing []string
	var paths []string
	for _, n := range LoginSources {
		src, ok := s.Source(n)
		switch {
		case ok && src.Status == SourceRead:
			read = append(read, n)
			paths = append(paths, src.Paths...)
		case ok && src.Status == SourcePartial:
			partial = append(partial, fmt.Sprintf("%s: %s", n, src.Detail))
			paths = append(paths, src.Paths...)
		case ok && src.Detail != "":
			missing = append(missing, fmt.Sprintf("%s: %s", n, src.Detail))
		default:
			missing = append(missing, n+": not read")
		}
	}
	switch {
	case len(read) > 0:
		where := list(paths)
		if where == "" {
			where = strings.Join(read, ", ")
		}
		v.see(remedy.ImpactNone, fmt.Sprintf("no %s in %s covering %s", what, where, s.windowText()))
	case len(partial) > 0:
		ev := fmt.Sprintf("%s not ruled out: the login records were not read completely for %s (%s)", what, s.windowText(), strings.Join(partial, "; "))
		if len(paths) > 0 {
			ev += fmt.Sprintf("; none seen in what was read of %s", list(paths))
		}
		v.see(remedy.ImpactPossible, ev)
	default:
		v.cannot(fmt.Sprintf("no authentication log or journal was read (%s): %s not ruled out", strings.Join(missing, "; "), what))
	}
}

// loginText summarises logins: "3 times, last 2024-01-03 10:00 from 192.0.2.10 (publickey); from 192.0.2.10, 198.51.100.7".
func loginText(ls []Login) string {
	last := ls[len(ls)-1]
	var from, methods orderedSet
	for _, l := range ls {
		from.add(l.From)
		methods.add(l.Method)
	}
	sort.Strings(methods.list)
	times := "once"
	if len(ls) > 1 {
		times = fmt.Sprintf("%d times", len(ls))
	}
	where := ""
	if last.File != "" {
		where = " (" + last.File + ")"
	}
	return fmt.Sprintf("%s (%s), last %s from %s%s; from %s", times, strings.Join(methods.list, ", "), last.Time.Format("2006-01-02 15:04 MST"), last.From, where, list(from.list))
}

// list joins at most maxEvidence items.
func list(xs []string) string {
	if len(xs) > maxEvidence {
		return strings.Join(xs[:maxEvidence], ", ") + fmt.Sprintf(" and %d more", len(xs)-maxEvidence)
	}
	return strings.Join(xs, ", ")
}

func (s *Signals) loginsOf(user string, keep func(Login) bool) []Login {
	s.mu.Lock()
	if s.byUser == nil || s.byUserN != len(s.Logins) {
		// Indexed once per set of logins: assessing an account change
		// for every account must not scan every login per account.
		s.byUser, s.byUserN = map[string][]int{}, len(s.Logins)
		for i, l := range s.Logins {
			s.byUser[l.User] = append(s.byUser[l.User], i)
		}
	}
	idx := s.byUser[user]
	s.mu.Unlock()
	var out []Login
	for _, i := range idx {
		if l := s.Logins[i]; keep == nil || keep(l) {
			out = append(out, l)
		}
	}
	return out
}

func (s *Signals) adminsWithKeys() []string {
	var out []string
	for _, a := range s.Admins {
		if len(s.AuthorizedKeys[a]) > 0 {
			out = append(out, a)
		}
	}
	return out
}

func (s *Signals) sshNoRoot(value string) (string, []string) {
	keysStay := false
	switch strings.ToLower(value) {
	case "prohibit-password", "without-password", "forced-commands-only":
		keysStay = true
	}
	var keep func(Login) bool
	if keysStay {
		keep = Login.PasswordLike
	}
	if ls := s.loginsOf("root", keep); len(ls) > 0 {
		what := "root logged in over SSH"
		if keysStay {
			what = "root logged in over SSH with a password"
		}
		return remedy.ImpactObserved, []string{fmt.Sprintf("%s %s in %s", what, loginText(ls), s.windowText())}
	}
	var v verdict
	if !keysStay && len(s.AuthorizedKeys["root"]) > 0 && len(s.adminsWithKeys()) == 0 {
		ev := fmt.Sprintf("root has SSH keys (%s) and no other sudo, wheel or admin user has authorized keys: root may be the only administrative way in", list(s.AuthorizedKeys["root"]))
		if len(s.Admins) > 0 {
			ev += fmt.Sprintf(" (administrators without keys: %s)", list(s.Admins))
		}
		if s.KeysCommand != "" {
			ev += "; AuthorizedKeysCommand may supply other users' keys"
		}
		v.see(remedy.ImpactPossible, ev)
	}
	what := "root SSH login"
	if keysStay {
		what = "root SSH login with a password"
	}
	s.noLogin(&v, what)
	return v.result()
}

func (s *Signals) sshNoPassword() (string, []string) {
	byUser := map[string][]Login{}
	var users []string
	for _, l := range s.Logins {
		if l.PasswordLike() {
			if _, ok := byUser[l.User]; !ok {
				users = append(users, l.User)
			}
			byUser[l.User] = append(byUser[l.User], l)
		}
	}
	if len(users) > 0 {
		var ev []string
		for _, u := range users {
			ev = append(ev, fmt.Sprintf("%s logged in over SSH with a password %s in %s", u, loginText(byUser[u]), s.windowText()))
		}
		if len(ev) > maxEvidence {
			ev = append(ev[:maxEvidence], fmt.Sprintf("and %d more users", len(ev)-maxEvidence))
		}
		return remedy.ImpactObserved, ev
	}
	var v verdict
	var noKeys []string
	for _, u := range s.PasswordUsers {
		if len(s.AuthorizedKeys[u]) == 0 {
			noKeys = append(noKeys, u)
		}
	}
	if len(noKeys) > 0 {
		ev := fmt.Sprintf("users with a password and no authorized keys can only log in with a password: %s", list(noKeys))
		if s.KeysCommand != "" {
			ev += " (AuthorizedKeysCommand may supply keys)"
		}
		v.see(remedy.ImpactPossible, ev)
	}
	s.noLogin(&v, "password SSH login")
	return v.result()
}

// unitNames returns the names a unit goes by: as given, canonical (through
// aliases), and its socket or service twin.
func (s *Signals) unitNames(unit string) (names []string, twin string) {
	if path.Ext(unit) == "" {
		unit += ".service"
	}
	names = []string{unit}
	if s.sd != nil {
		if us, err := s.sd.State(unit); err == nil && us.Unit != "" {
			names = union(names, []string{us.Unit})
		}
	}
	canon := names[len(names)-1]
	if al := s.unitAliases(canon); len(al) > 0 {
		names = append(union(append([]string{}, names[:len(names)-1]...), al), canon) // canonical stays last
	}
	switch path.Ext(canon) {
	case ".service":
		twin = strings.TrimSuffix(canon, ".service") + ".socket"
	case ".socket":
		twin = strings.TrimSuffix(canon, ".socket") + ".service"
	}
	return names, twin
}

// unitMatch reports whether a runtime unit u is one of names; a template
// name ("getty@.service") matches its instances.
func unitMatch(u string, names []string) bool {
	if u == "" {
		return false
	}
	for _, n := range names {
		if u == n {
			return true
		}
		if pre, ok := strings.CutSuffix(strings.TrimSuffix(n, path.Ext(n)), "@"); ok && strings.HasPrefix(u, pre+"@") && path.Ext(u) == path.Ext(n) {
			return true
		}
	}
	return false
}

func (s *Signals) serviceOff(unit string) (string, []string) {
	if unit == "" {
		return remedy.ImpactNone, nil
	}
	names, twin := s.unitNames(unit)
	name := names[len(names)-1]
	own := names
	if twin != "" {
		own = append(append([]string{}, names...), twin)
	}
	var v verdict
	// The unit files say what PID 1 starts only when PID 1 is systemd
	// (always assumed offline: the tree boots with what it carries).
	units := s.gap(&v, SourceUnits, "units that depend on "+name)
	// Ports a socket unit holds for the service (socket activation: the
	// listener belongs to PID 1 until the service starts).
	ports := map[string]bool{}
	for _, n := range own {
		if units && strings.HasSuffix(n, ".socket") {
			for _, l := range s.socketListen[n] {
				ports[fmt.Sprintf("%s/%d", l.proto, l.port)] = true
			}
		}
	}
	var listenSet, connSet orderedSet
	for _, l := range s.Listeners {
		if unitMatch(l.Unit, own) || ports[fmt.Sprintf("%s/%d", l.Proto, l.Port)] {
			who := l.Comm
			if l.Unit != "" {
				who += ", " + l.Unit
			}
			listenSet.add(fmt.Sprintf("%s (%s)", l.Endpoint(), who))
		}
	}
	for _, c := range s.Conns {
		if unitMatch(c.Unit, own) || c.Inbound && ports[fmt.Sprintf("%s/%d", c.Proto, c.Port)] {
			connSet.add(c.String())
		}
	}
	if listen := listenSet.list; len(listen) > 0 {
		v.see(remedy.ImpactPossible, fmt.Sprintf("%s is listening on %s", name, list(listen)))
	}
	if conns := connSet.list; len(conns) > 0 {
		v.see(remedy.ImpactObserved, fmt.Sprintf("%d established connection(s) seen in %d sample(s): %s", len(conns), s.Samples, list(conns)))
	}
	for _, d := range s.Deps {
		if !units || !d.Enabled || s.ownDep(d.From, own) || !unitMatch(d.To, names) {
			continue
		}
		l := remedy.ImpactPossible
		if d.Kind == "Requires" || d.Kind == "BindsTo" {
			l = remedy.ImpactObserved
		}
		v.see(l, fmt.Sprintf("enabled unit %s has %s=%s (%s)", d.From, d.Kind, d.To, d.File))
	}
	sockets := s.gap(&v, SourceSockets, "listeners and connections of "+name)
	if v.level == "" {
		var seen []string
		if sockets {
			seen = append(seen, fmt.Sprintf("no listener or connection of %s in %d sample(s)", name, s.Samples))
		}
		if units {
			seen = append(seen, "no enabled unit depends on it")
		}
		if len(seen) > 0 {
			v.see(remedy.ImpactNone, strings.Join(seen, ", "))
		}
	}
	if note := s.dbusNote(own); note != "" {
		v.see(remedy.ImpactNone, note)
	}
	return v.result()
}

func (s *Signals) moduleBlock(mod string) (string, []string) {
	name := kmodloaded.Normalize(mod)
	for _, m := range s.Modules {
		if m.Name != name {
			continue
		}
		ev := fmt.Sprintf("kernel module %s is loaded (refcount %d", m.Name, m.RefCount)
		if len(m.UsedBy) > 0 {
			ev += ", used by " + strings.Join(m.UsedBy, ", ")
		}
		return remedy.ImpactObserved, []string{ev + ")"}
	}
	var v verdict
	if s.gap(&v, SourceModules, "loaded kernel modules") {
		v.see(remedy.ImpactNone, "kernel module "+name+" is not loaded")
	}
	return v.result()
}

// isForwardingKey reports whether key switches IP forwarding.
func isForwardingKey(key string) bool {
	if key == "net.ipv4.ip_forward" {
		return true
	}
	for _, pre := range []string{"net.ipv4.conf.", "net.ipv6.conf."} {
		if rest, ok := strings.CutPrefix(key, pre); ok && strings.HasSuffix(rest, ".forwarding") {
			return true
		}
	}
	return false
}

func (s *Signals) runningRuntimes() []string {
	var out orderedSet
	for _, p := range s.Procs {
		if runtimeComms[p.Comm] {
			ev := p.Comm + " is running"
			if p.Unit != "" {
				ev += " (" + p.Unit + ")"
			}
			out.add(ev)
		}
	}
	out.add(s.Running...)
	return out.list
}

func (s *Signals) sysctl(key, value string) (string, []string) {
	key = strings.ReplaceAll(strings.TrimSpace(key), "/", ".")
	value = strings.TrimSpace(value)
	running, installed := s.runningRuntimes(), s.Installed
	switch {
	case isForwardingKey(key) && value == "0":
		var v verdict
		if len(running) > 0 {
			v.see(remedy.ImpactObserved, "container runtime or router running: "+list(running))
		} else if len(installed) > 0 {
			v.see(remedy.ImpactPossible, "container runtime or router installed: "+list(installed))
		}
		keys := make([]string, 0, len(s.Forwarding))
		for k := range s.Forwarding {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s.Forwarding[k] == "1" {
				v.see(remedy.ImpactPossible, fmt.Sprintf("%s is 1 at runtime: forwarding is in use or was switched on deliberately", k))
			}
		}
		procs := s.gap(&v, SourceProcesses, "running container runtimes and routers")
		fw := s.gap(&v, SourceSysctl, "the running forwarding switches")
		if v.level == "" && procs && fw {
			v.see(remedy.ImpactNone, "no container runtime or router found, forwarding off at runtime")
		}
		return v.result()
	case (key == "user.max_user_namespaces" || key == "kernel.unprivileged_userns_clone") && value == "0":
		var v verdict
		if rt := union(running, installed); len(rt) > 0 {
			v.see(remedy.ImpactPossible, "container runtimes use user namespaces (rootless containers, sandboxes): "+list(rt))
		}
		if s.gap(&v, SourceProcesses, "running container runtimes and sandboxes") && v.level == "" {
			v.see(remedy.ImpactNone, "no container runtime running or installed")
		}
		return v.result()
	}
	return remedy.ImpactNone, nil
}

// under reports whether p is mnt or below it.
func under(p, mnt string) bool {
	mnt = "/" + target.Clean(mnt)
	return mnt == "/" || p == mnt || strings.HasPrefix(p, mnt+"/")
}

func (s *Signals) mountOptions(mnt, opts string) (string, []string) {
	if !strings.Contains(","+opts+",", ",noexec,") || mnt == "" {
		return remedy.ImpactNone, nil
	}
	var procSet orderedSet
	for _, p := range s.Procs {
		if p.Exe != "" && under(p.Exe, mnt) {
			procSet.add(fmt.Sprintf("%s (%s)", p.Comm, p.Exe))
		}
	}
	if procs := procSet.list; len(procs) > 0 {
		return remedy.ImpactObserved, []string{fmt.Sprintf("programs running from %s: %s", mnt, list(procs))}
	}
	var v verdict
	if exes := s.topExecutables(mnt); len(exes) > 0 {
		v.see(remedy.ImpactPossible, fmt.Sprintf("executable files on %s: %s", mnt, list(exes)))
	}
	if s.gap(&v, SourceProcesses, "programs running from "+mnt) && v.level == "" {
		v.see(remedy.ImpactNone, "no program running from "+mnt)
	}
	return v.result()
}

// topExecutables lists the executable files at the top of the mount
// point: a cheap look, not a walk.
func (s *Signals) topExecutables(mnt string) []string {
	if s.t == nil {
		return nil
	}
	ents, err := s.t.ReadDir(target.Clean(mnt))
	if err != nil {
		return nil
	}
	var exes []string
	for i, e := range ents {
		if i >= 256 {
			break
		}
		if !e.Type.IsRegular() {
			continue
		}
		fi, err := s.t.Lstat(target.Clean(mnt) + "/" + e.Name)
		if err == nil && fi.Mode.Perm()&0o111 != 0 {
			exes = append(exes, target.Abs(fi.Path))
		}
	}
	return exes
}

// usrMerged maps /bin, /sbin and /lib paths to their /usr form, so a
// process's resolved executable matches the package's file list either way.
func usrMerged(p string) string {
	for _, d := range []string{"/bin/", "/sbin/", "/lib/", "/lib64/"} {
		if strings.HasPrefix(p, d) {
			return "/usr" + p
		}
	}
	return p
}

const maxPkgList = 16 << 20

// packageFiles reads the dpkg file list of pkg (usr-merged paths).
func (s *Signals) packageFiles(pkg string) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.pkgFiles[pkg]; ok {
		return f
	}
	if s.pkgFiles == nil {
		s.pkgFiles = map[string]map[string]bool{}
	}
	files := map[string]bool{}
	s.pkgFiles[pkg] = files
	if s.t == nil || pkg == "" || strings.ContainsAny(pkg, "/\\") {
		return files
	}
	lists, _ := target.Glob(s.t, "var/lib/dpkg/info", pkg+":*.list")
	lists = append([]string{"var/lib/dpkg/info/" + pkg + ".list"}, lists...)
	for _, l := range lists {
		rc, err := s.t.Open(l)
		if err != nil {
			continue // not installed (or unreadable: no evidence either way)
		}
		_, _ = eachLine(rc, 4096, maxPkgList, func(line []byte) bool {
			files[usrMerged(string(line))] = true
			return true
		})
		rc.Close()
	}
	return files
}

func (s *Signals) packageRemove(pkg string) (string, []string) {
	var v verdict
	if !s.gap(&v, SourceProcesses, "running programs of package "+pkg) {
		return v.result()
	}
	files := s.packageFiles(pkg)
	if len(files) == 0 {
		if s.t == nil {
			v.cannot("running programs of package " + pkg + " not checked: no target")
			return v.result()
		}
		if fi, err := s.t.Stat("var/lib/dpkg/info"); err == nil && fi.Mode.IsDir() {
			return remedy.ImpactNone, []string{fmt.Sprintf("package %s has no dpkg file list: not installed", pkg)}
		}
		v.cannot(fmt.Sprintf("running programs of package %s not checked: no dpkg database (only dpkg's file lists are read)", pkg))
		return v.result()
	}
	var procSet orderedSet
	var units []string
	for _, p := range s.Procs {
		if p.Exe != "" && files[usrMerged(p.Exe)] {
			ev := fmt.Sprintf("%s (pid %d", p.Comm, p.PID)
			if p.Unit != "" {
				ev += ", " + p.Unit
			}
			procSet.add(ev + ") runs " + p.Exe)
		}
	}
	procs := procSet.list
	for f := range files {
		if strings.HasPrefix(f, "/usr/lib/systemd/system/") && (strings.HasSuffix(f, ".service") || strings.HasSuffix(f, ".socket")) {
			units = append(units, path.Base(f))
		}
	}
	sort.Strings(units)
	var listenSet orderedSet
	for _, l := range s.Listeners {
		if unitMatch(l.Unit, units) {
			listenSet.add(fmt.Sprintf("%s (%s)", l.Endpoint(), l.Unit))
		}
	}
	if len(procs) > 0 {
		v.see(remedy.ImpactObserved, fmt.Sprintf("running programs from package %s: %s", pkg, list(procs)))
	}
	if listen := listenSet.list; len(listen) > 0 {
		v.see(remedy.ImpactObserved, fmt.Sprintf("units of package %s are listening: %s", pkg, list(listen)))
	}
	if v.level == "" {
		v.see(remedy.ImpactNone, fmt.Sprintf("no running program or listening unit from package %s", pkg))
	}
	return v.result()
}

func (s *Signals) accountChange(user string) (string, []string) {
	if ls := s.loginsOf(user, nil); len(ls) > 0 {
		return remedy.ImpactObserved, []string{fmt.Sprintf("%s logged in over SSH %s in %s", user, loginText(ls), s.windowText())}
	}
	var v verdict
	s.noLogin(&v, "SSH login by "+user)
	return v.result()
}
