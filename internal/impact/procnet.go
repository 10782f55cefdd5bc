package impact

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/netsock"
)

// TCP states (include/net/tcp_states.h); a connected UDP socket reports
// ESTABLISHED too, an unconnected bound one CLOSE.
const (
	stEstablished = 0x01
	stClose       = 0x07
	stListen      = 0x0A
)

// Socket is one entry of a /proc/net/{tcp,tcp6,udp,udp6} table.
type Socket struct {
	Proto  string // tcp or udp
	Local  netip.AddrPort
	Remote netip.AddrPort
	State  uint8
	Inode  uint64
}

// Listening reports whether the socket accepts traffic from others.
func (s Socket) Listening() bool {
	if s.Proto == "tcp" {
		return s.State == stListen
	}
	return s.State == stClose && s.Remote.Port() == 0
}

// Established reports whether the socket is a live connection.
func (s Socket) Established() bool { return s.State == stEstablished }

const (
	maxSockLine = 1024
	maxSockets  = 200000
	maxSockFile = 64 << 20
)

// ParseSockets parses one kernel socket table (proto "tcp" or "udp"). Lines
// that do not have the kernel's layout are skipped; at most maxSockets
// entries are returned.
func ParseSockets(b []byte, proto string) ([]Socket, error) {
	var out []Socket
	first := true
	_, err := eachLine(bytes.NewReader(b), maxSockLine, maxSockFile, func(line []byte) bool {
		if first {
			first = false
			return true // header
		}
		f := strings.Fields(string(line))
		if len(f) < 10 || !strings.HasSuffix(f[0], ":") {
			return true
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return true
		}
		la, lp, err := netsock.ParseAddr(f[1])
		if err != nil {
			return true
		}
		ra, rp, err := netsock.ParseAddr(f[2])
		if err != nil {
			return true
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return true
		}
		out = append(out, Socket{Proto: proto, Local: netip.AddrPortFrom(la, lp), Remote: netip.AddrPortFrom(ra, rp), State: uint8(st), Inode: inode})
		return len(out) < maxSockets
	})
	if err != nil {
		return nil, fmt.Errorf("socket table: %w", err)
	}
	return out, nil
}

// socketInode reads "socket:[12345]", the target of a /proc/<pid>/fd link.
func socketInode(link string) (uint64, bool) {
	s, ok := strings.CutPrefix(link, "socket:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// UnitFromCgroup returns the systemd unit a process runs in from its
// /proc/<pid>/cgroup content: the first path element below the slices
// ("0::/system.slice/ssh.service" → "ssh.service"). cgroup v2 lines and
// the v1 name=systemd hierarchy are used; "" when there is none.
func UnitFromCgroup(b []byte) string {
	var v1 string
	_, _ = eachLine(bytes.NewReader(b), 4096, 64<<10, func(line []byte) bool {
		f := strings.SplitN(string(line), ":", 3)
		if len(f) != 3 {
			return true
		}
		switch {
		case f[0] == "0" && f[1] == "":
			if u := unitFromPath(f[2]); u != "" {
				v1 = u
				return false
			}
		case f[1] == "name=systemd" && v1 == "":
			v1 = unitFromPath(f[2])
		}
		return true
	})
	return v1
}

func unitFromPath(p string) string {
	for _, c := range strings.Split(p, "/") {
		if c == "" || strings.HasSuffix(c, ".slice") {
			continue
		}
		if isUnitName(c) {
			return c
		}
		return ""
	}
	return ""
}

func isUnitName(n string) bool {
	for _, s := range []string{".service", ".socket", ".scope", ".mount", ".timer", ".path", ".swap"} {
		if strings.HasSuffix(n, s) && len(n) > len(s) {
			return true
		}
	}
	return false
}
