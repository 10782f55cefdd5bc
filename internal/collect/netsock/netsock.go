// Package netsock collects the listening sockets of a live target from the
// kernel's socket tables, /proc/net/{tcp,tcp6,udp,udp6}. Only sockets that
// accept traffic from others are kept: TCP sockets in LISTEN and unconnected
// bound UDP sockets.
package netsock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
)

// Socket is one listening socket.
type Socket struct {
	Proto string     `json:"proto"` // tcp or udp
	Addr  netip.Addr `json:"addr"`  // local address; unspecified for any
	Port  uint16     `json:"port"`
	UID   uint32     `json:"uid"`
	Inode uint64     `json:"inode"`
	File  string     `json:"file"` // "/proc/net/tcp6"
	Line  int        `json:"line"`
}

// Loopback reports whether only the host itself can reach the socket.
func (s Socket) Loopback() bool { return s.Addr.Unmap().IsLoopback() }

// Endpoint renders "tcp 0.0.0.0:23" or "udp [::]:69".
func (s Socket) Endpoint() string {
	return s.Proto + " " + netip.AddrPortFrom(s.Addr, s.Port).String()
}

// Sockets is the socket fact of a target.
type Sockets struct {
	Listening []Socket `json:"listening"`
	// Files lists the tables read (absent ones are skipped: a kernel
	// without IPv6 has no tcp6).
	Files []string `json:"files"`
}

// Key is the fact-store key.
const Key = "netsock"

// Get returns the memoised sockets.
func Get(s *facts.Store) (*Sockets, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// ErrNotLive is returned for targets without runtime state.
var ErrNotLive = errors.New("the target has no runtime state (/proc)")

// Tables are the socket tables read, in order.
var Tables = []string{"proc/net/tcp", "proc/net/tcp6", "proc/net/udp", "proc/net/udp6"}

// Collect reads the socket tables of a live target.
func Collect(_ context.Context, t target.Target) (*Sockets, error) {
	if !t.Live() {
		return nil, ErrNotLive
	}
	out := &Sockets{Listening: []Socket{}}
	for _, p := range Tables {
		b, err := target.ReadFile(t, p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("socket table: %w", err)
		}
		socks, err := Parse(b, strings.TrimRight(strings.TrimPrefix(p, "proc/net/"), "6"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", target.Abs(p), err)
		}
		for i := range socks {
			socks[i].File = target.Abs(p)
		}
		out.Files = append(out.Files, target.Abs(p))
		out.Listening = append(out.Listening, socks...)
	}
	if len(out.Files) == 0 {
		return nil, fmt.Errorf("no socket table under /proc/net: %w", fs.ErrNotExist)
	}
	return out, nil
}

const (
	tcpListen = 0x0A
	udpClose  = 0x07 // an unconnected (bound) UDP socket
)

// Parse reads one /proc/net/{tcp,tcp6,udp,udp6} table (proto "tcp" or
// "udp") and returns its listening sockets. Addresses are in the kernel's
// native byte order, as the running kernel prints them.
func Parse(b []byte, proto string) ([]Socket, error) {
	var out []Socket
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		f := strings.Fields(sc.Text())
		if n == 1 || len(f) < 10 || !strings.HasSuffix(f[0], ":") {
			continue // header or short line
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("line %d: state %q", n, f[3])
		}
		switch {
		case proto == "tcp" && st == tcpListen:
		case proto == "udp" && st == udpClose:
		default:
			continue
		}
		addr, port, err := ParseAddr(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if proto == "udp" {
			if _, rport, err := ParseAddr(f[2]); err != nil || rport != 0 {
				continue // connected
			}
		}
		uid, _ := strconv.ParseUint(f[7], 10, 32)
		inode, _ := strconv.ParseUint(f[9], 10, 64)
		out = append(out, Socket{Proto: proto, Addr: addr, Port: port, UID: uint32(uid), Inode: inode, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseAddr decodes "0100007F:0017" (IPv4) or a 32-digit IPv6 address and
// port: the address is a sequence of 32-bit words printed in host byte order.
func ParseAddr(s string) (netip.Addr, uint16, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok || len(p) != 4 || (len(a) != 8 && len(a) != 32) {
		return netip.Addr{}, 0, fmt.Errorf("bad socket address %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("bad port in %q", s)
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("bad address in %q", s)
	}
	// The digits of each word are its value, most significant first; the
	// word's bytes in memory (native order) are the address bytes.
	var ip [16]byte
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:i+4]))
	}
	if len(raw) == 4 {
		return netip.AddrFrom4([4]byte(ip[:4])), uint16(port), nil
	}
	return netip.AddrFrom16(ip), uint16(port), nil
}
