//go:build linux

package fswatch

import (
	"slices"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestFanotifyChangesFilter(t *testing.T) {
	w := &fanotifyWatch{roots: []Root{{Dir: "/r/usr", Recursive: true}, {Dir: "/r", Names: []string{"bin"}}}}
	tests := []struct {
		name      string
		mask      uint64
		dir, file string
		want      []change
	}{
		{"file in tree", unix.FAN_MODIFY, "/r/usr/lib", "x.so", []change{{path: "/r/usr/lib/x.so"}}},
		{"dir created in tree", unix.FAN_CREATE | unix.FAN_ONDIR, "/r/usr", "new", []change{{path: "/r/usr/new", rescan: true}}},
		{"named file", unix.FAN_ATTRIB, "/r", "bin", []change{{path: "/r/bin"}}},
		{"other name", unix.FAN_ATTRIB, "/r", "tmp", nil},
		{"outside", unix.FAN_MODIFY, "/var/log", "syslog", nil},
		{"prefix only", unix.FAN_MODIFY, "/r/usrx", "a", nil},
		{"tree root gone", unix.FAN_DELETE_SELF | unix.FAN_ONDIR, "/r/usr", ".", []change{{path: "/r/usr", rescan: true}}},
	}
	for _, tc := range tests {
		if got := w.changes(tc.mask, tc.dir, tc.file); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestFanotifyOverflowRescansRoots(t *testing.T) {
	w := &fanotifyWatch{roots: []Root{{Dir: "/a", Recursive: true}, {Dir: "/b", Recursive: true}}}
	b := make([]byte, metadataSize)
	md := (*unix.FanotifyEventMetadata)(unsafePointer(b))
	md.Event_len, md.Metadata_len, md.Vers, md.Mask, md.Fd = uint32(metadataSize), uint16(metadataSize), unix.FANOTIFY_METADATA_VERSION, unix.FAN_Q_OVERFLOW, -1
	want := []change{{path: "/a", rescan: true}, {path: "/b", rescan: true}}
	if got := w.parse(b); !slices.Equal(got, want) {
		t.Errorf("overflow: %+v, want %+v", got, want)
	}
	if got := w.parse(b[:10]); got != nil {
		t.Errorf("truncated read: %+v", got)
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{`/mnt/a\040b`: "/mnt/a b", `/plain`: "/plain", `/end\04`: `/end\04`} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }
