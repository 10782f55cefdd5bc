package netsock

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// Tables as a little-endian Linux prints them (Debian 12, cups, sshd,
// systemd-resolved, dhclient and an established ssh session).
const (
	tcp4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18562 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21004 1 0000000000000000 100 0 0 10 0
   2: 0F02000A:0016 0202000A:C7A4 01 00000000:00000000 02:0009A2B1 00000000     0        0 23011 4 0000000000000000 20 4 29 10 -1
`
	tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18561 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0017 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21006 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 21007 1 0000000000000000 100 0 0 10 0
`
	udp4 = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  364: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 20127 2 0000000000000000 0
  373: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 19720 2 0000000000000000 0
  380: 0F02000A:D431 08080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 29999 2 0000000000000000 0
`
)

func littleEndian(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("fixtures are little-endian kernel output")
	}
}

func TestParse(t *testing.T) {
	littleEndian(t)
	tests := []struct {
		name, in, proto string
		want            []string
		loopback        []bool
	}{
		{"tcp", tcp4, "tcp", []string{"tcp 127.0.0.1:631", "tcp 0.0.0.0:22"}, []bool{true, false}},
		{"tcp6", tcp6, "tcp", []string{"tcp [::1]:631", "tcp [::]:23", "tcp [::ffff:127.0.0.1]:8080"}, []bool{true, false, true}},
		{"udp", udp4, "udp", []string{"udp 0.0.0.0:68", "udp 127.0.0.53:53"}, []bool{false, true}},
		{"header only", "  sl  local_address rem_address   st\n", "tcp", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in), tc.proto)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i, s := range got {
				if s.Endpoint() != tc.want[i] || s.Loopback() != tc.loopback[i] {
					t.Errorf("socket %d = %s loopback %v, want %s %v", i, s.Endpoint(), s.Loopback(), tc.want[i], tc.loopback[i])
				}
			}
		})
	}
	got, _ := Parse([]byte(tcp6), "tcp")
	if got[2].UID != 1000 || got[2].Line != 4 || got[2].Inode != 21007 {
		t.Errorf("socket details = %+v", got[2])
	}
}

func TestParseAddr(t *testing.T) {
	littleEndian(t)
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"0100007F:0016", "127.0.0.1:22", false},
		{"00000000000000000000000001000000:0050", "[::1]:80", false},
		{"B80D0120000000000000000001000000:01BB", "[2001:db8::1]:443", false},
		{"0100007F", "", true},
		{"0100007G:0016", "", true},
		{"0100007F:16", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			a, p, err := ParseAddr(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseAddr(%q) = %v:%d, want error", tc.in, a, p)
				}
				return
			}
			if err != nil || netip.AddrPortFrom(a, p).String() != tc.want {
				t.Fatalf("ParseAddr(%q) = %v:%d %v, want %s", tc.in, a, p, err, tc.want)
			}
		})
	}
}

func TestCollect(t *testing.T) {
	littleEndian(t)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "proc/net"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "proc/net/tcp"), []byte(tcp4), 0o444)
	os.WriteFile(filepath.Join(root, "proc/net/udp"), []byte(udp4), 0o444)
	live, err := target.OpenLiveRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	s, err := Collect(context.Background(), live)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Listening) != 4 || s.Listening[0].File != "/proc/net/tcp" || len(s.Files) != 2 {
		t.Fatalf("Collect = %+v", s)
	}
	off, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	if _, err := Collect(context.Background(), off); !errors.Is(err, ErrNotLive) {
		t.Fatalf("offline Collect error = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(tcp4), true)
	f.Add([]byte(tcp6), true)
	f.Add([]byte(udp4), false)
	f.Fuzz(func(t *testing.T, b []byte, tcp bool) {
		proto := "udp"
		if tcp {
			proto = "tcp"
		}
		socks, err := Parse(b, proto)
		if err != nil {
			return
		}
		for _, s := range socks {
			if !s.Addr.IsValid() || s.Line < 2 {
				t.Fatalf("bad socket %+v", s)
			}
		}
	})
}
