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

func rank(level string) int {
	switch level {
	case remedy.ImpactObserved:
		return 2
	case remedy.ImpactPossible:
		return 1
	}
	return 0
}

// Assess rates op by the worst impact of its effects, with the evidence of
// the effects at that level. An op without effects has none.
func (s *Signals) Assess(op *remedy.Op) remedy.Impact {
	out := remedy.Impact{Level: remedy.ImpactNone}
	if op == nil {
		return out
	}
	// Evidence per level, each in order without repeats: one set per
	// level, built once, so an op with many effects (an account file
	// edit for every account) is assessed in linear time.
	var sets [3]orderedSet
	for _, e := range op.Effects {
		lvl, ev := s.assess(e)
		sets[rank(lvl)].add(ev...)
	}
	for r := len(sets) - 1; r >= 0; r-- {
		if len(sets[r].list) > 0 || r == 0 {
			out.Level = [...]string{remedy.ImpactNone, remedy.ImpactPossible, remedy.ImpactObserved}[r]
			out.Evidence = remedy.CapEvidence(sets[r].list, remedy.MaxImpactEvidence)
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
	case remedy.EffectSudoRequirePassword:
		return s.sudoRequirePassword(e.Subject, e.Value)
	case remedy.EffectAuthPolicy:
		return s.sudoPolicy(e)
	case remedy.EffectPackageInstall:
		return s.packageInstall(e.Subject)
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

// noLogin is the verdict for "nothing seen": what was looked for, in
// which logs. It is none only when the logs were read completely within
// the window; a gap (budget spent, unreadable file) or logs kept only in
// the systemd journal make it possible.
func (s *Signals) noLogin(what string) (string, []string) {
	switch {
	case len(s.LogGaps) > 0:
		ev := fmt.Sprintf("%s not ruled out: the authentication logs were not read completely for %s (%s)", what, s.windowText(), list(s.LogGaps))
		if len(s.LogFiles) > 0 {
			ev += fmt.Sprintf("; none seen in what was read of %s", list(s.LogFiles))
		}
		return remedy.ImpactPossible, []string{ev}
	case len(s.LogFiles) == 0 && s.JournalPresent:
		return remedy.ImpactPossible, []string{"no authentication log under /var/log, only the systemd journal (/var/log/journal), which cradle does not read: " + what + " not ruled out"}
	case len(s.LogFiles) == 0:
		return remedy.ImpactNone, []string{"no authentication logs under /var/log: " + what + " not checked"}
	}
	ev := fmt.Sprintf("no %s in %s covering %s", what, list(s.LogFiles), s.windowText())
	if s.JournalPresent {
		ev += " (the systemd journal is not read)"
	}
	return remedy.ImpactNone, []string{ev}
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
	if !keysStay && len(s.AuthorizedKeys["root"]) > 0 && len(s.adminsWithKeys()) == 0 {
		ev := fmt.Sprintf("root has SSH keys (%s) and no other sudo, wheel or admin user has authorized keys: root may be the only administrative way in", list(s.AuthorizedKeys["root"]))
		if len(s.Admins) > 0 {
			ev += fmt.Sprintf(" (administrators without keys: %s)", list(s.Admins))
		}
		if s.KeysCommand != "" {
			ev += "; AuthorizedKeysCommand may supply other users' keys"
		}
		return remedy.ImpactPossible, []string{ev}
	}
	return s.noLogin("root SSH login")
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
		return remedy.ImpactPossible, []string{ev}
	}
	return s.noLogin("password SSH login")
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
	own := names
	if twin != "" {
		own = append(append([]string{}, names...), twin)
	}
	level := remedy.ImpactNone
	var ev []string
	raise := func(l string) {
		if rank(l) > rank(level) {
			level = l
		}
	}
	// Ports a socket unit holds for the service (socket activation: the
	// listener belongs to PID 1 until the service starts).
	ports := map[string]bool{}
	for _, n := range own {
		if strings.HasSuffix(n, ".socket") {
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
	listen, conns := listenSet.list, connSet.list
	if len(listen) > 0 {
		raise(remedy.ImpactPossible)
		ev = append(ev, fmt.Sprintf("%s is listening on %s", names[len(names)-1], list(listen)))
	}
	if len(conns) > 0 {
		raise(remedy.ImpactObserved)
		ev = append(ev, fmt.Sprintf("%d established connection(s) seen in %d sample(s): %s", len(conns), s.Samples, list(conns)))
	}
	for _, d := range s.Deps {
		if !d.Enabled || s.ownDep(d.From, own) || !unitMatch(d.To, names) {
			continue
		}
		switch d.Kind {
		case "Requires", "BindsTo":
			raise(remedy.ImpactObserved)
		default:
			raise(remedy.ImpactPossible)
		}
		ev = append(ev, fmt.Sprintf("enabled unit %s has %s=%s (%s)", d.From, d.Kind, d.To, d.File))
	}
	if level == remedy.ImpactNone {
		ev = []string{"no enabled unit depends on " + names[len(names)-1] + " (offline target: sockets not checked)"}
		if s.Live {
			ev = []string{fmt.Sprintf("no listener or connection of %s in %d sample(s), no enabled unit depends on it", names[len(names)-1], s.Samples)}
		}
	}
	if note := s.dbusNote(own); note != "" {
		ev = append(ev, note)
	}
	return level, ev
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
	if !s.Live {
		return remedy.ImpactNone, []string{"offline target: loaded modules not checked"}
	}
	return remedy.ImpactNone, []string{"kernel module " + name + " is not loaded"}
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
		level := remedy.ImpactNone
		var ev []string
		if len(running) > 0 {
			level = remedy.ImpactObserved
			ev = append(ev, "container runtime or router running: "+list(running))
		} else if len(installed) > 0 {
			level = remedy.ImpactPossible
			ev = append(ev, "container runtime or router installed: "+list(installed))
		}
		keys := make([]string, 0, len(s.Forwarding))
		for k := range s.Forwarding {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s.Forwarding[k] == "1" {
				if level == remedy.ImpactNone {
					level = remedy.ImpactPossible
				}
				ev = append(ev, fmt.Sprintf("%s is 1 at runtime: forwarding is in use or was switched on deliberately", k))
			}
		}
		if level == remedy.ImpactNone {
			return level, []string{"no container runtime or router found"}
		}
		return level, ev
	case (key == "user.max_user_namespaces" || key == "kernel.unprivileged_userns_clone") && value == "0":
		if rt := union(running, installed); len(rt) > 0 {
			return remedy.ImpactPossible, []string{"container runtimes use user namespaces (rootless containers, sandboxes): " + list(rt)}
		}
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
	procs := procSet.list
	if len(procs) > 0 {
		return remedy.ImpactObserved, []string{fmt.Sprintf("programs running from %s: %s", mnt, list(procs))}
	}
	if !s.Live || s.t == nil {
		return remedy.ImpactNone, nil
	}
	// Executables at the top of the mount point: a cheap look, not a walk.
	ents, err := s.t.ReadDir(target.Clean(mnt))
	if err != nil {
		return remedy.ImpactNone, nil
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
	if len(exes) > 0 {
		return remedy.ImpactPossible, []string{fmt.Sprintf("executable files on %s: %s", mnt, list(exes))}
	}
	return remedy.ImpactNone, nil
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
	if !s.Live {
		return remedy.ImpactNone, []string{"offline target: running programs not checked"}
	}
	files := s.packageFiles(pkg)
	if len(files) == 0 {
		return remedy.ImpactNone, nil
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
	listen := listenSet.list
	var ev []string
	if len(procs) > 0 {
		ev = append(ev, fmt.Sprintf("running programs from package %s: %s", pkg, list(procs)))
	}
	if len(listen) > 0 {
		ev = append(ev, fmt.Sprintf("units of package %s are listening: %s", pkg, list(listen)))
	}
	if len(ev) > 0 {
		return remedy.ImpactObserved, ev
	}
	return remedy.ImpactNone, []string{fmt.Sprintf("no running program or listening unit from package %s", pkg)}
}

func (s *Signals) accountChange(user string) (string, []string) {
	if ls := s.loginsOf(user, nil); len(ls) > 0 {
		return remedy.ImpactObserved, []string{fmt.Sprintf("%s logged in over SSH %s in %s", user, loginText(ls), s.windowText())}
	}
	return s.noLogin("SSH login by " + user)
}
