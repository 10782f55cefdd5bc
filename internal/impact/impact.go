// Package impact answers "will this hardening fix break production?" with
// evidence from the target itself. Collect gathers signals — accepted SSH
// logins from the authentication logs, who holds SSH keys and sudo rights,
// listening sockets and established connections mapped to processes and
// systemd units, loaded kernel modules, container runtimes and routers,
// unit dependencies — and Assess rates each planned remediation operation
// none, possible, unknown or observed by the effects its template declared
// (unknown where no source for an effect was read: Signals.Sources). Runtime
// signals exist only on live targets; Learn samples them over a period so
// that intermittent use (a nightly backup connection) is seen too.
package impact

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/kmodloaded"
	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/target"
)

// DefaultWindow is how far back the logs are read by default.
const DefaultWindow = 30 * 24 * time.Hour

// Options tune the collection.
type Options struct {
	// Now is the reference time for the log window and for the year of
	// syslog timestamps; zero means time.Now().
	Now time.Time
	// Window is how far back logins count; zero means DefaultWindow.
	Window time.Duration
	// LogBudget bounds the bytes read from authentication logs in all;
	// zero means DefaultLogBudget.
	LogBudget int64
}

func (o Options) norm() Options {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.LogBudget <= 0 {
		o.LogBudget = DefaultLogBudget
	}
	return o
}

// offlineDetail is why the runtime sources of an offline target are
// missing.
const offlineDetail = "offline target: nothing is running"

// ErrNotLive is returned by Learn for targets without runtime state.
var ErrNotLive = errors.New("learning needs a live target (runtime state under /proc)")

// Signals is the evidence collected from one target.
type Signals struct {
	Now     time.Time     `json:"now"`
	Window  time.Duration `json:"window"`
	Live    bool          `json:"live"`
	Samples int           `json:"samples"` // runtime samples merged

	LogFiles []string `json:"log_files,omitempty"`
	// LogGaps say why the authentication logs were not read completely
	// within the window (budget spent, unreadable file, too many logins):
	// then a login not seen is not evidence that there was none.
	LogGaps        []string            `json:"log_gaps,omitempty"`
	Logins         []Login             `json:"logins,omitempty"`
	AuthorizedKeys map[string][]string `json:"authorized_keys,omitempty"` // user → files with keys
	Admins         []string            `json:"admins,omitempty"`          // non-root users in sudo, wheel or admin
	PasswordUsers  []string            `json:"password_users,omitempty"`  // login-capable users with a password hash
	KeysCommand    string              `json:"keys_command,omitempty"`    // sshd AuthorizedKeysCommand

	Listeners  []Listener          `json:"listeners,omitempty"`
	Conns      []Conn              `json:"connections,omitempty"`
	Procs      []Proc              `json:"processes,omitempty"`
	Modules    []kmodloaded.Module `json:"modules,omitempty"`
	Forwarding map[string]string   `json:"forwarding,omitempty"` // runtime sysctl → value

	// Running and Installed are evidence of container runtimes and
	// routers: sockets of a running daemon, binaries, state directories,
	// enabled units, routing daemon configuration.
	Running   []string `json:"running,omitempty"`
	Installed []string `json:"installed,omitempty"`

	Deps     []Dep    `json:"deps,omitempty"`
	Problems []string `json:"problems,omitempty"` // what could not be read

	// Sources lists every source the preflight read or found missing
	// (AddSource); a verdict of none counts only from sources read
	// completely, and an effect whose source is missing is unknown.
	Sources []Source `json:"sources,omitempty"`

	evidence // login records, sudo use, automation (evidence.go)

	socketListen map[string][]listenSpec
	t            target.Target
	sd           *systemd.Config
	mu           sync.Mutex
	pkgFiles     map[string]map[string]bool
	byUser       map[string][]int // login indexes by user, for len(Logins) == byUserN
	byUserN      int
}

func newSignals(t target.Target, o Options) *Signals {
	return &Signals{Now: o.Now, Window: o.Window, Live: t.Live(), Forwarding: map[string]string{}, AuthorizedKeys: map[string][]string{}, socketListen: map[string][]listenSpec{}, t: t}
}

// Collect reads every signal of t once. Unreadable sources are recorded
// in Problems; only cancellation is an error.
func Collect(ctx context.Context, t target.Target, opts Options) (*Signals, error) {
	opts = opts.norm()
	s := newSignals(t, opts)
	if t.Live() {
		rs, err := sampleRuntime(ctx, t)
		if err != nil {
			return nil, err
		}
		s.addSample(rs)
	} else {
		for _, n := range []string{SourceProcesses, SourceSockets, SourceModules, SourceSysctl} {
			s.AddSource(Source{Name: n, Status: SourceMissing, Detail: offlineDetail})
		}
	}
	if err := s.collectStatic(ctx, t, opts); err != nil {
		return nil, err
	}
	return s, nil
}

// Learn samples the runtime signals of a live target every `every` for d,
// then reads the logs and files once. progress, when set, is called after
// each sample. On cancellation it returns the signals gathered so far
// with the context's error.
func Learn(ctx context.Context, t target.Target, d, every time.Duration, opts Options, progress func(elapsed time.Duration, samples int)) (*Signals, error) {
	if !t.Live() {
		return nil, ErrNotLive
	}
	if every <= 0 {
		every = time.Second
	}
	defaultNow := opts.Now.IsZero()
	opts = opts.norm()
	s := newSignals(t, opts)
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		rs, err := sampleRuntime(ctx, t)
		if err != nil {
			return s, err
		}
		s.addSample(rs)
		elapsed := time.Since(start)
		if progress != nil {
			progress(elapsed, s.Samples)
		}
		if elapsed >= d {
			break
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-tick.C:
		}
	}
	if defaultNow {
		opts.Now = time.Now() // the logs cover the learning period too
		s.Now = opts.Now
	}
	if err := s.collectStatic(ctx, t, opts); err != nil {
		return s, err
	}
	return s, nil
}

// collectStatic reads what does not change from one sample to the next:
// logs, accounts and keys, unit files, installed software.
func (s *Signals) collectStatic(ctx context.Context, t target.Target, opts Options) error {
	logs, err := readAuthLogs(ctx, t, opts.Now, opts.Window, opts.LogBudget)
	if err != nil {
		return err
	}
	s.addLogins(logs.logins)
	s.addSudo(logs)
	s.LogFiles = union(s.LogFiles, logs.files)
	s.LogGaps = union(s.LogGaps, logs.gaps)
	s.Problems = union(s.Problems, logs.problems)
	s.AddSource(logs.source(s.windowText()))
	if err := s.collectJournal(ctx, t, opts); err != nil {
		return err
	}

	acc, err := collectSSHAccess(ctx, t)
	if err != nil {
		return err
	}
	for u, f := range acc.keys {
		s.AuthorizedKeys[u] = union(s.AuthorizedKeys[u], f)
	}
	s.Admins = union(s.Admins, acc.admins)
	s.PasswordUsers = union(s.PasswordUsers, acc.passwords)
	if s.KeysCommand == "" {
		s.KeysCommand = acc.keysCmd
	}
	s.Problems = union(s.Problems, acc.problems)
	s.AddSource(readStatus(SourceAccounts, nil, acc.problems))

	sd, err := systemd.Collect(ctx, t)
	var sdProblems []string
	if err != nil {
		sdProblems = []string{fmt.Sprintf("systemd units: %v", err)}
		s.Problems = union(s.Problems, sdProblems)
	} else if s.sd == nil {
		s.sd = sd
	}
	ui, problems, err := collectUnits(ctx, t)
	if err != nil {
		return err
	}
	s.Problems = union(s.Problems, problems)
	s.AddSource(unitsSource(t, sd, ui.dirs, append(sdProblems, problems...)))
	s.addDeps(markEnabled(ui.deps, sd))
	for u, l := range ui.listen {
		if _, ok := s.socketListen[u]; !ok {
			s.socketListen[u] = l
		}
	}
	inst, run := detectRuntimes(t, sd)
	s.Installed = union(s.Installed, inst)
	s.Running = union(s.Running, run)
	return s.collectEvidence(ctx, t, opts, ui)
}

func (s *Signals) addSample(rs *runtimeSample) {
	s.Samples++
	for _, src := range rs.sources {
		s.AddSource(src)
	}
	s.addListeners(rs.listeners)
	s.addConns(rs.conns)
	s.addProcs(rs.procs)
	s.addModules(rs.modules)
	s.addForwarding(rs.forwarding)
	s.Problems = union(s.Problems, rs.problems)
}

// Merge adds the signals of o (another sample or another Collect of the
// same target) to s.
func (s *Signals) Merge(o *Signals) {
	if o == nil || o == s {
		return
	}
	if o.Now.After(s.Now) {
		s.Now = o.Now
	}
	if o.Window > s.Window {
		s.Window = o.Window
	}
	s.Live = s.Live || o.Live
	s.Samples += o.Samples
	s.LogFiles = union(s.LogFiles, o.LogFiles)
	s.LogGaps = union(s.LogGaps, o.LogGaps)
	s.addLogins(o.Logins)
	if s.AuthorizedKeys == nil {
		s.AuthorizedKeys = map[string][]string{}
	}
	for u, f := range o.AuthorizedKeys {
		s.AuthorizedKeys[u] = union(s.AuthorizedKeys[u], f)
	}
	s.Admins = union(s.Admins, o.Admins)
	s.PasswordUsers = union(s.PasswordUsers, o.PasswordUsers)
	if s.KeysCommand == "" {
		s.KeysCommand = o.KeysCommand
	}
	s.addListeners(o.Listeners)
	s.addConns(o.Conns)
	s.addProcs(o.Procs)
	s.addModules(o.Modules)
	s.addForwarding(o.Forwarding)
	s.Running = union(s.Running, o.Running)
	s.Installed = union(s.Installed, o.Installed)
	s.addDeps(o.Deps)
	s.Problems = union(s.Problems, o.Problems)
	for _, src := range o.Sources {
		s.AddSource(src)
	}
	s.mergeEvidence(o)
	if s.socketListen == nil {
		s.socketListen = map[string][]listenSpec{}
	}
	for u, l := range o.socketListen {
		if _, ok := s.socketListen[u]; !ok {
			s.socketListen[u] = l
		}
	}
	if s.t == nil {
		s.t = o.t
	}
	if s.sd == nil {
		s.sd = o.sd
	}
}

// Bounds on merged runtime observations: a long learning period on a busy
// host must not grow without limit.
const (
	maxListeners = 4096
	maxConns     = 8192
	maxProcsKept = 8192
)

func (s *Signals) addLogins(ls []Login) {
	seen := make(map[string]bool, len(s.Logins))
	for _, l := range s.Logins {
		seen[l.key()] = true
	}
	for _, l := range ls {
		if k := l.key(); !seen[k] && len(s.Logins) < maxLogins {
			seen[k] = true
			s.Logins = append(s.Logins, l)
		}
	}
	sort.SliceStable(s.Logins, func(i, j int) bool { return s.Logins[i].Time.Before(s.Logins[j].Time) })
}

func (s *Signals) addListeners(ls []Listener) {
	idx := map[string]int{}
	for i, l := range s.Listeners {
		idx[l.key()] = i
	}
	for _, l := range ls {
		if i, ok := idx[l.key()]; ok {
			s.Listeners[i].PID = l.PID
			continue
		}
		if len(s.Listeners) < maxListeners {
			idx[l.key()] = len(s.Listeners)
			s.Listeners = append(s.Listeners, l)
		}
	}
}

func (s *Signals) addConns(cs []Conn) {
	idx := map[string]int{}
	for i, c := range s.Conns {
		idx[c.key()] = i
	}
	for _, c := range cs {
		if i, ok := idx[c.key()]; ok {
			s.Conns[i].Samples += c.Samples
			continue
		}
		if len(s.Conns) < maxConns {
			idx[c.key()] = len(s.Conns)
			s.Conns = append(s.Conns, c)
		}
	}
}

func (s *Signals) addProcs(ps []Proc) {
	idx := map[string]int{}
	for i, p := range s.Procs {
		idx[p.key()] = i
	}
	for _, p := range ps {
		if i, ok := idx[p.key()]; ok {
			s.Procs[i].Samples += p.Samples
			s.Procs[i].PID = p.PID
			continue
		}
		if len(s.Procs) < maxProcsKept {
			idx[p.key()] = len(s.Procs)
			s.Procs = append(s.Procs, p)
		}
	}
}

func (s *Signals) addModules(ms []kmodloaded.Module) {
	idx := map[string]int{}
	for i, m := range s.Modules {
		idx[m.Name] = i
	}
	for _, m := range ms {
		if i, ok := idx[m.Name]; ok {
			s.Modules[i] = m // latest refcount
			continue
		}
		idx[m.Name] = len(s.Modules)
		s.Modules = append(s.Modules, m)
	}
}

// addForwarding keeps "on" once seen: forwarding that was on during
// learning is evidence even if it is off at the end.
func (s *Signals) addForwarding(f map[string]string) {
	if s.Forwarding == nil {
		s.Forwarding = map[string]string{}
	}
	for k, v := range f {
		if cur, ok := s.Forwarding[k]; !ok || cur == "0" {
			s.Forwarding[k] = v
		}
	}
}

func (s *Signals) addDeps(ds []Dep) {
	seen := map[Dep]bool{}
	for _, d := range s.Deps {
		seen[d] = true
	}
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			s.Deps = append(s.Deps, d)
		}
	}
}

// union appends the strings of b not in a, keeping order.
func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	seen := make(map[string]bool, len(a))
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			seen[x] = true
			a = append(a, x)
		}
	}
	return a
}

// Container runtimes and routing daemons: they need IP forwarding.
var (
	runtimeComms = map[string]bool{
		"dockerd": true, "containerd": true, "podman": true, "conmon": true, "crio": true,
		"kubelet": true, "k3s": true, "k3s-server": true, "k3s-agent": true, "libvirtd": true,
		"lxd": true, "incusd": true, "zebra": true, "bird": true, "bird6": true, "bgpd": true,
		"ospfd": true, "ospf6d": true,
	}
	runtimePaths = []string{
		"usr/bin/dockerd", "usr/sbin/dockerd", "usr/local/bin/dockerd",
		"usr/bin/containerd", "usr/local/bin/containerd", "usr/bin/podman", "usr/bin/crio",
		"usr/bin/kubelet", "usr/local/bin/kubelet", "usr/local/bin/k3s", "usr/sbin/libvirtd",
		"var/lib/docker", "var/lib/containerd", "var/lib/containers/storage", "var/lib/kubelet",
		"etc/frr/frr.conf", "etc/bird/bird.conf", "etc/bird.conf", "etc/quagga",
	}
	runtimeUnits = []string{"docker.service", "containerd.service", "kubelet.service", "crio.service", "k3s.service", "libvirtd.service", "frr.service", "bird.service", "quagga.service"}
	runtimeSocks = []string{"run/docker.sock", "run/containerd/containerd.sock", "run/crio/crio.sock", "run/podman/podman.sock"}
)

func detectRuntimes(t target.Target, sd *systemd.Config) (installed, running []string) {
	for _, p := range runtimePaths {
		if _, err := t.Lstat(p); err == nil {
			installed = append(installed, target.Abs(p))
		}
	}
	if sd != nil {
		for _, u := range runtimeUnits {
			if us, err := sd.State(u); err == nil && us.State == systemd.Enabled {
				installed = append(installed, u+" is enabled")
			}
		}
	}
	if t.Live() {
		for _, p := range runtimeSocks {
			fi, err := t.Lstat(p)
			if err == nil && !fi.Mode.IsDir() {
				running = append(running, target.Abs(p)+" exists")
			}
		}
	}
	return installed, running
}
