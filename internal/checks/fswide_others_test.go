package checks

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/fswalk"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

const othersAllowed = `[/usr/bin/su, /usr/bin/sudo, /usr/bin/passwd]`

// othersHost is a host with an LXC container, a debootstrap tree under
// /var/cache, an unpacked image the detection does not recognise
// (/srv/images/app: no os-release) and one setuid program of its own off
// the allow-list.
func othersHost(t *testing.T) target.Target {
	t.Helper()
	files := map[string]string{
		"etc/passwd":         "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":          "root:x:0:\n",
		"usr/lib/os-release": "ID=debian\n",
		"etc/os-release":     "->../usr/lib/os-release",
		"usr/local/bin/tool": "",
	}
	modes := map[string]os.FileMode{"usr/local/bin/tool": 0o755 | os.ModeSetuid}
	for _, nested := range []string{"", "var/lib/lxc/web/rootfs/", "var/cache/deb/bookworm/"} {
		files[nested+"usr/lib/os-release"] = "ID=debian\n"
		files[nested+"etc/os-release"] = "->../usr/lib/os-release"
		for _, p := range []string{"usr/bin/sudo", "usr/bin/su", "usr/bin/passwd"} {
			files[nested+p] = ""
			modes[nested+p] = 0o755 | os.ModeSetuid
		}
	}
	files["var/cache/deb/bookworm/tmp/open"] = ""
	modes["var/cache/deb/bookworm/tmp/open"] = 0o666
	files["srv/images/app/usr/bin/newgrp"] = ""
	modes["srv/images/app/usr/bin/newgrp"] = 0o755 | os.ModeSetuid
	return modeTree(t, files, modes, nil)
}

func TestFSOtherSystems(t *testing.T) {
	const (
		lxc = "/var/lib/lxc/web/rootfs (container root filesystem: LXC)"
		deb = "/var/cache/deb/bookworm (own root filesystem: etc/os-release and usr/bin)"
	)
	tests := []struct {
		name   string
		args   string
		ww     bool // the world-writable template instead of fs_suid
		want   result.Status
		files  []string
		note   []string
		noNote []string
	}{
		{"nested roots skipped", `{allowed: ` + othersAllowed + `}`, false, result.Fail,
			[]string{"/srv/images/app/usr/bin/newgrp", "/usr/local/bin/tool"},
			[]string{"other systems' trees not entered: 2 — " + deb + ", " + lxc}, []string{"entered (skip"}},
		{"a tree named by the rule", `{allowed: ` + othersAllowed + `, other_system_trees: [/srv/images/*]}`, false, result.Fail,
			[]string{"/usr/local/bin/tool"},
			[]string{"left out as other systems' trees (other_system_trees): /srv/images/* (1 entries)"}, nil},
		{"entered when tailored", `{allowed: ` + othersAllowed + `, skip_nested_roots: false, other_system_trees: [/srv/images/**]}`, false, result.Fail,
			[]string{
				"/usr/local/bin/tool",
				"/var/cache/deb/bookworm/usr/bin/passwd", "/var/cache/deb/bookworm/usr/bin/su", "/var/cache/deb/bookworm/usr/bin/sudo",
				"/var/lib/lxc/web/rootfs/usr/bin/passwd", "/var/lib/lxc/web/rootfs/usr/bin/su", "/var/lib/lxc/web/rootfs/usr/bin/sudo",
			},
			[]string{"other systems' trees entered (skip_nested_roots: false): 2 — " + deb}, nil},
		{"explicitly skipped", `{allowed: ` + othersAllowed + `, skip_nested_roots: true, other_system_trees: [/srv/images/app, /usr/local]}`, false, result.Pass, nil,
			[]string{"not entered: 2", "/srv/images/app (1 entries), /usr/local (1 entries)"}, nil},
		{"world-writable in a nested root", `{kind: files}`, true, result.Pass, nil, []string{"not entered: 2"}, nil},
		{"world-writable, entered", `{kind: files, skip_nested_roots: false}`, true, result.Fail, []string{"/var/cache/deb/bookworm/tmp/open"}, nil, nil},
	}
	tg := othersHost(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tmpl check.Template = fsSUIDTemplate{}
			if tc.ww {
				tmpl = fsWorldWritableTemplate{}
			}
			o := kcEval(t, tmpl, tc.args, tg)
			checkFSOutcome(t, o, tc.want, tc.files, "")
			notes := ""
			for _, e := range o.Evidence {
				notes += e.Note + "\n"
			}
			for _, s := range tc.note {
				if !strings.Contains(notes, s) {
					t.Errorf("evidence notes lack %q:\n%s", s, notes)
				}
			}
			for _, s := range tc.noNote {
				if strings.Contains(notes, s) {
					t.Errorf("evidence notes have %q:\n%s", s, notes)
				}
			}
		})
	}
	for _, bad := range []struct {
		tmpl check.Template
		args string
	}{
		{fsSUIDTemplate{}, `{allowed: [/usr/bin/su], other_system_trees: [srv/images]}`},
		{fsSUIDTemplate{}, `{allowed: [/usr/bin/su], other_system_trees: [/]}`},
		{fsSUIDTemplate{}, `{allowed: [/usr/bin/su], other_system_trees: ["/srv/["]}`},
		{fsSUIDTemplate{}, `{allowed: [/usr/bin/su], skip_nested_roots: sometimes}`},
		{fsWorldWritableTemplate{}, `{kind: files, skip_nested: false}`},
		{fsUnownedTemplate{}, `{other_system_trees: [relative]}`},
	} {
		if err := kcNewErr(bad.tmpl, bad.args); err == nil {
			t.Errorf("New(%s) accepted", bad.args)
		}
	}
}

// TestFSOtherSystemsFix: stripping setuid bits off the allow-list never
// touches a nested root's sudo, su and passwd, in the plan and in the
// planned state the rule is re-evaluated on.
func TestFSOtherSystemsFix(t *testing.T) {
	tg := othersHost(t)
	ch := fixRoundTrip(t, fsSUIDTemplate{}, `{allowed: `+othersAllowed+`}`, tg)
	ops := opLines(ch)
	if !hasOp(ops, "file.chmod /usr/local/bin/tool 4755 -> 0755") {
		t.Errorf("the host's own program is not fixed:\n%s", strings.Join(ops, "\n"))
	}
	for _, op := range ch.Ops() {
		if strings.HasPrefix(op.Path, "/var/lib/lxc/") || strings.HasPrefix(op.Path, "/var/cache/deb/") {
			t.Errorf("op in another system's tree: %s %s", op.Kind, op.Path)
		}
	}
	ov := ch.Overlay()
	for _, p := range []string{"/var/lib/lxc/web/rootfs/usr/bin/sudo", "/var/cache/deb/bookworm/usr/bin/su"} {
		fi, err := ov.Lstat(p)
		if err != nil || fi.Mode&os.ModeSetuid == 0 {
			t.Errorf("planned state of %s: %v %v", p, fi.Mode, err)
		}
	}
	// The tailored walk is a fact of its own: a rule entering nested roots
	// does not change what the default rules see in the same scan.
	ctx := context.Background()
	store := facts.NewStore(ctx, tg)
	entered := newCheck(t, fsSUIDTemplate{}, `{allowed: `+othersAllowed+`, skip_nested_roots: false}`).Evaluate(ctx, store)
	def := newCheck(t, fsSUIDTemplate{}, `{allowed: `+othersAllowed+`}`).Evaluate(ctx, store)
	if len(entered.Evidence) != 9 || len(def.Evidence) != 3 {
		t.Errorf("entered %d evidence items (want 9), default %d (want 3)", len(entered.Evidence), len(def.Evidence))
	}
}

// TestFSUnownedNestedRoot: an unprivileged container's files belong to
// ids mapped from the host's subordinate range, unknown to the host's
// passwd; they are the container's, not unowned host files.
func TestFSUnownedNestedRoot(t *testing.T) {
	files := map[string]string{
		"etc/passwd":                                "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":                                 "root:x:0:\n",
		"var/lib/lxc/web/rootfs/etc/os-release":     "ID=debian\n",
		"var/lib/lxc/web/rootfs/usr/bin/sudo":       "",
		"var/lib/lxc/web/rootfs/home/app/.profile":  "",
		"srv/restored/usr/share/doc/app/README.txt": "",
	}
	owners := map[string][2]int{
		"var/lib/lxc/web/rootfs/usr/bin/sudo":       {100000, 100000},
		"var/lib/lxc/web/rootfs/home/app/.profile":  {101000, 101000},
		"srv/restored/usr/share/doc/app/README.txt": {4242, 4242},
	}
	tg := modeTree(t, files, nil, owners)
	tests := []struct {
		args  string
		want  result.Status
		files []string
	}{
		{`{}`, result.Fail, []string{"/srv/restored/usr/share/doc/app/README.txt"}},
		{`{other_system_trees: [/srv/restored]}`, result.Pass, nil},
		{`{skip_nested_roots: false, other_system_trees: [/srv/restored]}`, result.Fail,
			[]string{"/var/lib/lxc/web/rootfs/home/app/.profile", "/var/lib/lxc/web/rootfs/usr/bin/sudo"}},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			checkFSOutcome(t, kcEval(t, fsUnownedTemplate{}, tc.args, tg), tc.want, tc.files, "")
		})
	}
}

// TestFSScopeNote: the trees named in a result are bounded, the rest
// counted.
func TestFSScopeNote(t *testing.T) {
	fw := &fswalk.Facts{Others: fswalk.TreeList{Total: maxTreesListed + 5}}
	for i := range maxTreesListed + 2 { // kept beyond what is named
		fw.Others.Trees = append(fw.Others.Trees, fswalk.Tree{Path: fmt.Sprintf("/srv/c%02d", i), Reason: "r"})
	}
	got := fsScope{}.note(fw, map[string]int{"/b": 2, "/a": 1})
	want := "; other systems' trees not entered: 15 — /srv/c00 (r), /srv/c01 (r)"
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "/srv/c09 (r) and 5 more;") || strings.Contains(got, "/srv/c10") ||
		!strings.HasSuffix(got, "(other_system_trees): /a (1 entries), /b (2 entries)") {
		t.Fatalf("note = %q", got)
	}
}
