package checks

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
)

const (
	liveTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18562 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21004 1 0000000000000000 100 0 0 10 0
   2: 00000000:0017 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21005 1 0000000000000000 100 0 0 10 0
`
	liveTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:15B3 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18561 1 0000000000000000 100 0 0 10 0
`
	liveUDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  364: 00000000:0045 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 20127 2 0000000000000000 0
`
	liveModules = `vboxdrv 638976 2 vboxnetadp,vboxnetflt, Live 0xffffffffc0e58000 (OE)
lkdtm 20480 0 - Live 0xffffffffc0a00000
ext4 1007616 1 - Live 0xffffffffc0b00000
`
)

func TestListeningSockets(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("fixtures are little-endian kernel output")
	}
	proc := map[string]string{"proc/net/tcp": liveTCP, "proc/net/tcp6": liveTCP6, "proc/net/udp": liveUDP}
	tests := []struct {
		name string
		live bool
		args string
		want result.Status
		obs  string
		line int
	}{
		{"telnet listening", true, `{forbidden: [tcp/23, "21", udp/69]}`, result.Fail, "tcp 0.0.0.0:23", 4},
		{"tftp listening", true, `{forbidden: [69]}`, result.Fail, "udp 0.0.0.0:69", 2},
		{"nothing forbidden", true, `{forbidden: [tcp/21, tcp/512-514]}`, result.Pass, "3 non-loopback listeners", 0},
		{"loopback ignored", true, `{forbidden: [tcp/5555]}`, result.Pass, "", 0},
		{"loopback included", true, `{forbidden: [tcp/5555], include_loopback: true}`, result.Fail, "tcp [::1]:5555", 2},
		{"allow-list", true, `{allowed: [tcp/22, udp/69]}`, result.Fail, "tcp 0.0.0.0:23", 4},
		{"allow-list ok", true, `{allowed: [tcp/22, tcp/23, udp/69]}`, result.Pass, "all on allowed ports", 0},
		{"offline", false, `{forbidden: [tcp/23]}`, result.NotApplicable, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := kcEval(t, listeningSocketsTemplate{}, tc.args, kcTree(t, tc.live, proc))
			if o.Status != tc.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tc.want, o.Reason, o.Evidence)
			}
			if tc.want == result.NotApplicable {
				return
			}
			if !strings.Contains(o.Evidence[0].Observed, tc.obs) || o.Evidence[0].Line != tc.line || (tc.want == result.Fail) != (o.Evidence[0].File != "") {
				t.Fatalf("evidence %+v, want %q at line %d", o.Evidence[0], tc.obs, tc.line)
			}
		})
	}
	t.Run("no tables", func(t *testing.T) {
		o := kcEval(t, listeningSocketsTemplate{}, `{forbidden: [23]}`, kcTree(t, true, map[string]string{"etc/os-release": "ID=debian\n"}))
		if o.Status != result.Error {
			t.Fatalf("status %s, want error", o.Status)
		}
	})
	for _, bad := range []string{`{}`, `{forbidden: [23], allowed: [22]}`, `{forbidden: [icmp/1]}`, `{forbidden: [0]}`, `{forbidden: [70000]}`, `{forbidden: [tcp/30-20]}`} {
		if err := kcNewErr(listeningSocketsTemplate{}, bad); err == nil {
			t.Errorf("New(%s) accepted", bad)
		}
	}
}

func TestKernelModuleLoaded(t *testing.T) {
	mods := map[string]string{"proc/modules": liveModules}
	tests := []struct {
		name  string
		live  bool
		files map[string]string
		args  string
		want  result.Status
		line  int
	}{
		{"test module loaded", true, mods, `{modules: [lkdtm, pktgen]}`, result.Fail, 2},
		{"dash spelling", true, mods, `{modules: [usb-storage]}`, result.Pass, 0},
		{"unsigned", true, mods, `{taint: E}`, result.Fail, 1},
		{"forced", true, mods, `{taint: F}`, result.Pass, 0},
		{"offline", false, mods, `{taint: E}`, result.NotApplicable, 0},
		{"no module support", true, map[string]string{"etc/os-release": "ID=debian\n"}, `{taint: E}`, result.NotApplicable, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := kcEval(t, kernelModuleLoadedTemplate{}, tc.args, kcTree(t, tc.live, tc.files))
			if o.Status != tc.want {
				t.Fatalf("status %s, want %s (%s %+v)", o.Status, tc.want, o.Reason, o.Evidence)
			}
			if tc.want == result.NotApplicable {
				return
			}
			if o.Evidence[0].File != "/proc/modules" || o.Evidence[0].Line != tc.line {
				t.Fatalf("evidence %+v, want line %d", o.Evidence[0], tc.line)
			}
		})
	}
	for _, bad := range []string{`{}`, `{taint: e}`, `{modules: ["a b"]}`} {
		if err := kcNewErr(kernelModuleLoadedTemplate{}, bad); err == nil {
			t.Errorf("New(%s) accepted", bad)
		}
	}
}
