package kmodloaded

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// A Debian 12 /proc/modules excerpt with an out-of-tree unsigned module.
const procModules = `vboxnetflt 36864 0 - Live 0xffffffffc0f2a000 (OE)
vboxdrv 638976 2 vboxnetadp,vboxnetflt, Live 0xffffffffc0e58000 (OE)
usb_storage 81920 1 uas, Live 0xffffffffc0b1e000
dccp_ipv4 32768 0 - Loading 0xffffffffc0a00000
short line
`

func TestParse(t *testing.T) {
	got := Parse([]byte(procModules))
	want := []Module{
		{Name: "vboxnetflt", Size: 36864, State: "Live", Taint: "OE", Line: 1},
		{Name: "vboxdrv", Size: 638976, RefCount: 2, UsedBy: []string{"vboxnetadp", "vboxnetflt"}, State: "Live", Taint: "OE", Line: 2},
		{Name: "usb_storage", Size: 81920, RefCount: 1, UsedBy: []string{"uas"}, State: "Live", Line: 3},
		{Name: "dccp_ipv4", Size: 32768, State: "Loading", Line: 4},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse =\n%+v\nwant\n%+v", got, want)
	}
	l := &Loaded{Modules: got}
	tests := []struct {
		name  string
		found bool
	}{{"usb-storage", true}, {"usb_storage", true}, {"uas", false}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := l.Find(tc.name); ok != tc.found {
				t.Fatalf("Find(%q) = %v", tc.name, ok)
			}
		})
	}
	if !got[0].Tainted("E") || got[2].Tainted("EF") {
		t.Error("taint flags misread")
	}
}

func TestCollect(t *testing.T) {
	root := t.TempDir()
	live, err := target.OpenLiveRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if _, err := Collect(context.Background(), live); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing /proc/modules: %v", err)
	}
	os.MkdirAll(filepath.Join(root, "proc"), 0o755)
	os.WriteFile(filepath.Join(root, "proc/modules"), []byte(procModules), 0o444)
	l, err := Collect(context.Background(), live)
	if err != nil || len(l.Modules) != 4 || l.File != "/proc/modules" {
		t.Fatalf("Collect = %+v, %v", l, err)
	}
	off, _ := target.OpenRootFS(root)
	defer off.Close()
	if _, err := Collect(context.Background(), off); !errors.Is(err, ErrNotLive) {
		t.Fatalf("offline: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(procModules))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range Parse(b) {
			if m.Name == "" && m.Line == 0 {
				t.Fatal("module without name or line")
			}
		}
	})
}
