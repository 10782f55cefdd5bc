package impact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/kmodloaded"
	"github.com/cradle-cra/cradle/internal/target"
)

const (
	maxProcs    = 32768
	maxFDs      = 16384 // per process
	maxProcFile = 64 << 10
)

// Listener is a listening socket and who holds it.
type Listener struct {
	Proto string `json:"proto"`
	Addr  string `json:"addr"`
	Port  uint16 `json:"port"`
	Unit  string `json:"unit,omitempty"`
	Comm  string `json:"comm,omitempty"`
	PID   int    `json:"pid,omitempty"`
}

// Endpoint renders "tcp 0.0.0.0:22".
func (l Listener) Endpoint() string {
	a, err := netip.ParseAddr(l.Addr)
	if err != nil {
		return fmt.Sprintf("%s %s:%d", l.Proto, l.Addr, l.Port)
	}
	return fmt.Sprintf("%s %s", l.Proto, netip.AddrPortFrom(a, l.Port))
}

func (l Listener) key() string {
	return fmt.Sprintf("%s|%s|%d|%s|%s", l.Proto, l.Addr, l.Port, l.Unit, l.Comm)
}

// Conn is an established connection, aggregated over samples: inbound
// ones by local port and peer address, outbound ones by peer address and
// port (the ephemeral side is dropped).
type Conn struct {
	Proto   string `json:"proto"`
	Inbound bool   `json:"inbound"`
	Port    uint16 `json:"port"` // local port if inbound, remote port if outbound
	Peer    string `json:"peer"`
	Unit    string `json:"unit,omitempty"`
	Comm    string `json:"comm,omitempty"`
	Samples int    `json:"samples"` // samples that saw it
}

func (c Conn) key() string {
	return fmt.Sprintf("%s|%t|%d|%s|%s|%s", c.Proto, c.Inbound, c.Port, c.Peer, c.Unit, c.Comm)
}

// String renders "inbound tcp :22 from 192.0.2.10" or "outbound tcp to
// 10.0.0.5:5432".
func (c Conn) String() string {
	if c.Inbound {
		return fmt.Sprintf("inbound %s :%d from %s", c.Proto, c.Port, c.Peer)
	}
	a, err := netip.ParseAddr(c.Peer)
	if err != nil {
		return fmt.Sprintf("outbound %s to %s port %d", c.Proto, c.Peer, c.Port)
	}
	return fmt.Sprintf("outbound %s to %s", c.Proto, netip.AddrPortFrom(a, c.Port))
}

// Proc is a running program, aggregated by command, executable and unit.
type Proc struct {
	PID     int    `json:"pid"` // latest seen
	Comm    string `json:"comm"`
	Exe     string `json:"exe,omitempty"`
	Unit    string `json:"unit,omitempty"`
	Samples int    `json:"samples"`
}

func (p Proc) key() string { return p.Comm + "|" + p.Exe + "|" + p.Unit }

// runtimeSample is one look at the live system.
type runtimeSample struct {
	listeners  []Listener
	conns      []Conn
	procs      []Proc
	modules    []kmodloaded.Module
	forwarding map[string]string
	problems   []string
	sources    []Source
}

// forwardingKeys are the runtime forwarding switches read on live hosts.
var forwardingKeys = []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"}

// sampleRuntime reads sockets, processes, loaded modules and forwarding
// switches of a live target.
func sampleRuntime(ctx context.Context, t target.Target) (*runtimeSample, error) {
	s := &runtimeSample{forwarding: map[string]string{}}
	procSrc := Source{Name: SourceProcesses, Status: SourceRead, Paths: []string{"/proc"}}
	sockSrc := Source{Name: SourceSockets}
	owners, procs, hidden, err := scanProcs(ctx, t)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		s.problems = append(s.problems, err.Error()) // sockets stay unmapped
		procSrc.Status, procSrc.Detail = SourceMissing, err.Error()
	} else if fi, err := t.Stat("proc"); err != nil || !fi.Mode.IsDir() {
		procSrc.Status, procSrc.Detail = SourceMissing, "no /proc"
	}
	if hidden > 0 {
		msg := fmt.Sprintf("open files of %d process(es) not readable (not root?): their sockets are not mapped to units", hidden)
		s.problems = append(s.problems, msg)
		sockSrc.Detail = msg
		if procSrc.Status == SourceRead {
			// The same processes' executables are unreadable too.
			procSrc.Status, procSrc.Detail = SourcePartial, fmt.Sprintf("%d process(es) not readable (not root?)", hidden)
		}
	}
	s.procs = procs
	var socks []Socket
	var sockProblems []string
	for _, tab := range []string{"tcp", "tcp6", "udp", "udp6"} {
		p := "proc/net/" + tab
		b, err := target.ReadFile(t, p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				s.problems = append(s.problems, err.Error())
				sockProblems = append(sockProblems, err.Error())
			}
			continue
		}
		ss, err := ParseSockets(b, strings.TrimSuffix(tab, "6"))
		if err != nil {
			msg := fmt.Sprintf("%s: %v", target.Abs(p), err)
			s.problems = append(s.problems, msg)
			sockProblems = append(sockProblems, msg)
			continue
		}
		sockSrc.Paths = append(sockSrc.Paths, target.Abs(p))
		socks = append(socks, ss...)
	}
	switch {
	case len(sockSrc.Paths) == 0:
		sockSrc.Status, sockSrc.Detail = SourceMissing, "no socket table under /proc/net could be read"
	case len(sockProblems) > 0:
		sockSrc.Status, sockSrc.Detail = SourcePartial, list(sockProblems)
	case hidden > 0 || procSrc.Status != SourceRead:
		sockSrc.Status = SourcePartial // listeners seen, not all mapped to their units
		if sockSrc.Detail == "" {
			sockSrc.Detail = "processes not read: sockets are not mapped to units"
		}
	default:
		sockSrc.Status = SourceRead
	}
	s.sources = append(s.sources, procSrc, sockSrc)
	// Inbound connections arrive on a listening port of the same protocol.
	listenPorts := map[string]bool{}
	for _, so := range socks {
		if so.Listening() {
			listenPorts[fmt.Sprintf("%s/%d", so.Proto, so.Local.Port())] = true
			o := owners[so.Inode]
			s.listeners = append(s.listeners, Listener{Proto: so.Proto, Addr: so.Local.Addr().String(), Port: so.Local.Port(), Unit: o.unit, Comm: o.comm, PID: o.pid})
		}
	}
	seen := map[string]bool{}
	for _, so := range socks {
		if !so.Established() || so.Inode == 0 {
			continue
		}
		o := owners[so.Inode]
		c := Conn{Proto: so.Proto, Unit: o.unit, Comm: o.comm, Peer: so.Remote.Addr().Unmap().String(), Samples: 1}
		if so.Proto == "tcp" && listenPorts[fmt.Sprintf("%s/%d", so.Proto, so.Local.Port())] {
			c.Inbound, c.Port = true, so.Local.Port()
		} else {
			c.Port = so.Remote.Port()
		}
		if k := c.key(); !seen[k] {
			seen[k] = true
			s.conns = append(s.conns, c)
		}
	}
	modSrc := Source{Name: SourceModules, Status: SourceRead, Paths: []string{target.Abs(kmodloaded.Path)}}
	if b, err := target.ReadFile(t, kmodloaded.Path); err == nil {
		s.modules = kmodloaded.Parse(b)
	} else {
		modSrc.Status, modSrc.Paths, modSrc.Detail = SourceMissing, nil, "no "+target.Abs(kmodloaded.Path)
		if !errors.Is(err, fs.ErrNotExist) {
			modSrc.Detail = err.Error()
			s.problems = append(s.problems, err.Error())
		}
	}
	sysSrc := Source{Name: SourceSysctl, Status: SourceRead}
	for _, k := range forwardingKeys {
		p := "proc/sys/" + strings.ReplaceAll(k, ".", "/")
		if b, err := target.ReadFile(t, p); err == nil {
			s.forwarding[k] = strings.TrimSpace(string(b))
			sysSrc.Paths = append(sysSrc.Paths, target.Abs(p))
		}
	}
	if len(sysSrc.Paths) == 0 {
		sysSrc.Status, sysSrc.Detail = SourceMissing, "no forwarding switch under /proc/sys could be read"
	}
	s.sources = append(s.sources, modSrc, sysSrc)
	return s, nil
}

type owner struct {
	pid  int
	comm string
	unit string
}

// scanProcs maps socket inodes to the processes holding them and lists
// the running programs with their units. hidden counts processes whose
// open files could not be read.
func scanProcs(ctx context.Context, t target.Target) (owners map[uint64]owner, procs []Proc, hidden int, err error) {
	owners = map[uint64]owner{}
	ents, err := t.ReadDir("proc")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return owners, nil, 0, nil
		}
		return nil, nil, 0, fmt.Errorf("list /proc: %w", err)
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name); err == nil && pid > 0 && e.Type.IsDir() {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	if len(pids) > maxProcs {
		pids = pids[:maxProcs]
	}
	seen := map[string]int{}
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return nil, nil, 0, err
		}
		dir := "proc/" + strconv.Itoa(pid)
		comm := readSmall(t, dir+"/comm")
		if comm == "" {
			continue // exited
		}
		exe, _ := t.Readlink(dir + "/exe")
		exe = strings.TrimSuffix(exe, " (deleted)")
		unit := UnitFromCgroup([]byte(readSmall(t, dir+"/cgroup")))
		o := owner{pid: pid, comm: comm, unit: unit}
		fds, err := t.ReadDir(dir + "/fd")
		if errors.Is(err, fs.ErrPermission) {
			hidden++
		}
		if err == nil {
			if len(fds) > maxFDs {
				fds = fds[:maxFDs]
			}
			for _, fd := range fds {
				l, err := t.Readlink(dir + "/fd/" + fd.Name)
				if err != nil {
					continue
				}
				if ino, ok := socketInode(l); ok {
					if _, dup := owners[ino]; !dup {
						owners[ino] = o
					}
				}
			}
		}
		if exe == "" && unit == "" {
			continue // kernel thread
		}
		p := Proc{PID: pid, Comm: comm, Exe: exe, Unit: unit, Samples: 1}
		if i, ok := seen[p.key()]; ok {
			procs[i].PID = pid
			continue
		}
		seen[p.key()] = len(procs)
		procs = append(procs, p)
	}
	return owners, procs, hidden, nil
}

// readSmall reads a small /proc file, trimmed; "" on any error.
func readSmall(t target.Target, p string) string {
	rc, err := t.Open(p)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, maxProcFile))
	return strings.TrimSpace(string(b))
}
