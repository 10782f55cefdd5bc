package fim

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cradle-cra/cradle/internal/target"
)

var aclBytes = aclBytesPortable

const noID = noACLID

func setxattr(t *testing.T, p, name string, v []byte) {
	t.Helper()
	if err := unix.Lsetxattr(p, name, v, 0); err != nil {
		t.Skipf("cannot set %s here: %v", name, err)
	}
}

const extPolicy = "paths:\n  - path: /etc\n    attributes: [owner, group, xattrs, acl, selinux]\n"

// Extended attributes, ACLs and labels are recorded, compared, and
// survive the database; names come from the target's /etc/passwd.
func TestExtendedAttributes(t *testing.T) {
	tr := newTree(t)
	tr.write("etc/group", "wheel:x:0:\n")
	hosts := tr.path("etc/hosts")
	setxattr(t, hosts, "user.origin", []byte("pkg"))
	setxattr(t, hosts, xattrACLAccess, aclBytes([3]uint32{aclUserObj, 6, noID}, [3]uint32{aclUser, 4, 1000},
		[3]uint32{aclGroupObj, 4, noID}, [3]uint32{aclMask, 4, noID}, [3]uint32{aclOther, 4, noID}))
	setxattr(t, tr.path("etc"), xattrACLDefault, aclBytes([3]uint32{aclUserObj, 7, noID}, [3]uint32{aclGroupObj, 5, noID}, [3]uint32{aclOther, 0, noID}))
	label := os.Geteuid() == 0 && unix.Lsetxattr(hosts, xattrSELinux, []byte("system_u:object_r:net_conf_t:s0\x00"), 0) == nil
	p := mustPolicy(t, extPolicy)
	before := tr.walk(p, Options{})
	idx := (&DB{Entries: before.Entries}).Index()
	e := idx["/etc/hosts"]
	if got := deref(e.ACL); got != "u::rw-,u:1000:r--,g::r--,m::r--,o::r--" {
		t.Errorf("acl = %q", got)
	}
	if got := deref(idx["/etc"].ACL); got != "d:u::rwx,d:g::r-x,d:o::---" {
		t.Errorf("default acl = %q", got)
	}
	if e.Xattrs["user.origin"] != digest([]byte("pkg")) || len(e.Xattrs) != 1 {
		t.Errorf("xattrs = %v", e.Xattrs)
	}
	if label && deref(e.SELinux) != "system_u:object_r:net_conf_t:s0" {
		t.Errorf("selinux = %v", deref(e.SELinux))
	}
	if e.OwnerName != "root" || e.GroupName != "wheel" {
		t.Errorf("names = %q %q", e.OwnerName, e.GroupName)
	}
	if p := idx["/etc/passwd"]; p.Xattrs == nil || len(p.Xattrs) != 0 || p.ACL == nil || *p.ACL != "" {
		t.Errorf("a file without any must record none, not unknown: %+v", p)
	}
	// Through the database: {} stays {}, nil stays nil.
	for _, e := range before.Entries {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back Entry
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if (back.Xattrs == nil) != (e.Xattrs == nil) || (back.ACL == nil) != (e.ACL == nil) || back.OwnerName != e.OwnerName {
			t.Errorf("%s: %s does not round-trip", e.Path, b)
		}
	}

	time.Sleep(10 * time.Millisecond)
	setxattr(t, hosts, "user.origin", []byte("evil"))
	setxattr(t, hosts, "user.new", nil)
	if err := unix.Lremovexattr(hosts, xattrACLAccess); err != nil {
		t.Fatal(err)
	}
	after := tr.walk(p, Options{})
	cs := Compare(before.Entries, after.Entries, p)
	if got := describe(cs); got != "changed /etc/hosts xattrs,xattrs,acl" {
		t.Fatalf("got %s", got)
	}
	var vals []string
	for _, d := range cs[0].Diffs {
		vals = append(vals, d.Old+" -> "+d.New)
	}
	want := " -> user.new=" + digest(nil) + "; user.origin=" + digest([]byte("pkg")) + " -> user.origin=" + digest([]byte("evil")) +
		"; u::rw-,u:1000:r--,g::r--,m::r--,o::r-- -> "
	if got := strings.Join(vals, "; "); got != want {
		t.Errorf("diffs\n got %s\nwant %s", got, want)
	}
}

// A database written before these attributes existed has none of them:
// a policy that now selects them reports nothing until an update
// records them (unknown is not "none").
func TestExtendedUnknownIsNotAChange(t *testing.T) {
	tr := newTree(t)
	setxattr(t, tr.path("etc/hosts"), "user.origin", []byte("pkg"))
	old := tr.walk(mustPolicy(t, "paths:\n  - path: /etc\n"), Options{})
	for _, e := range old.Entries {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), "xattrs") || strings.Contains(string(b), "acl") {
			t.Fatalf("not selected but recorded: %s", b)
		}
	}
	p := mustPolicy(t, extPolicy)
	if got := describe(Compare(old.Entries, tr.walk(p, Options{}).Entries, p)); got != "" {
		t.Errorf("got %s", got)
	}
}

// devTarget reports every entry below mnt on another device, as a mount
// would.
type devTarget struct {
	target.Target
	mnt string
}

func (d devTarget) Walk(ctx context.Context, o target.WalkOptions, fn target.WalkFunc) error {
	return d.Target.Walk(ctx, o, func(fi target.FileInfo) error {
		if fi.Path == d.mnt || strings.HasPrefix(fi.Path, d.mnt+"/") {
			fi.Dev += 1000
		}
		return fn(fi)
	})
}

func TestOneFileSystem(t *testing.T) {
	tr := newTree(t)
	tr.write("srv/data/mnt/deep/file", "x")
	tr.write("srv/data/mnt/top", "x")
	tr.write("srv/data/local", "x")
	tr.write("srv/data/mnt/keep/kept", "x")
	tg, err := target.OpenRootFS(tr.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	walk := func(src string, o Options) string {
		s, err := Walk(t.Context(), devTarget{tg, "srv/data/mnt"}, mustPolicy(t, src), o)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(paths(s.Entries), " ")
	}
	all := "/srv/data /srv/data/local /srv/data/mnt /srv/data/mnt/deep /srv/data/mnt/deep/file /srv/data/mnt/keep /srv/data/mnt/keep/kept /srv/data/mnt/top"
	if got := walk("paths:\n  - path: /srv/data\n", Options{}); got != all {
		t.Errorf("crossing:\n%s", got)
	}
	if got := walk("paths:\n  - path: /srv/data\n    one_file_system: true\n", Options{}); got != "/srv/data /srv/data/local /srv/data/mnt" {
		t.Errorf("one_file_system: %s", got)
	}
	// A selection of its own below the mount point is still walked.
	got := walk("paths:\n  - path: /srv/data\n  - path: /srv/data/mnt/keep\n", Options{OneFileSystem: true})
	if got != "/srv/data /srv/data/local /srv/data/mnt /srv/data/mnt/keep /srv/data/mnt/keep/kept" {
		t.Errorf("--one-file-system with a nested selection: %s", got)
	}
}

// Images cannot report extended attributes: unknown, with one problem.
func TestExtendedOnImageIsUnknown(t *testing.T) {
	op := &target.BulkOpener{}
	w := &walker{op: op, snap: &Snapshot{}}
	sel := mustPolicy(t, extPolicy).Selections[0]
	for range 3 {
		e := &Entry{Path: "/etc/x"}
		w.extended(e, "etc/x", sel)
		if e.Xattrs != nil || e.ACL != nil || e.SELinux != nil {
			t.Fatalf("recorded %+v", e)
		}
	}
	if len(w.snap.Problems) != 1 || !strings.Contains(w.snap.Problems[0].Error, "unknown") {
		t.Errorf("problems = %+v", w.snap.Problems)
	}
}
