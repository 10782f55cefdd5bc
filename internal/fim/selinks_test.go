package fim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// linkTree is a merged-/usr layout: /lib is a link to usr/lib.
func linkTree(t *testing.T) *tree {
	tr := &tree{t: t, dir: t.TempDir()}
	tr.write("usr/lib/a.so", "ELF a")
	tr.write("usr/lib/sub/b", "b")
	tr.write("outside/s", "in the tree")
	tr.symlink("usr/lib", "lib")
	return tr
}

func entryMap(s *Snapshot) map[string]*Entry { return (&DB{Entries: s.Entries}).Index() }

func TestWalkSymlinkedSelection(t *testing.T) {
	host := t.TempDir() // a directory of the scanning host, not of the tree
	if err := os.WriteFile(filepath.Join(host, "secret"), []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, policy string
		links        map[string]string // link -> target, created in the tree
		want         string            // entries
		problem      string
	}{
		{name: "selected link", policy: "paths:\n  - path: /lib\n",
			want: "/lib /lib/a.so /lib/sub /lib/sub/b"},
		{name: "real tree selected too: recorded once, under its name", policy: "paths:\n  - path: /lib\n  - path: /usr\n",
			want: "/lib /usr /usr/lib /usr/lib/a.so /usr/lib/sub /usr/lib/sub/b"},
		{name: "below a link", policy: "paths:\n  - path: /lib/sub\n", want: "/lib/sub /lib/sub/b"},
		{name: "nested selections", policy: "paths:\n  - path: /lib\n  - path: /lib/sub\n    attributes: [type, size]\n",
			want: "/lib /lib/a.so /lib/sub /lib/sub/b"},
		{name: "link to a link", policy: "paths:\n  - path: /l2\n", links: map[string]string{"l2": "lib"},
			want: "/l2 /l2/a.so /l2/sub /l2/sub/b"},
		{name: "escape by .. stays in the root", policy: "paths:\n  - path: /esc\n",
			links: map[string]string{"esc": "../../../../../../../../../../outside"}, want: "/esc /esc/s"},
		{name: "absolute escape to the host's directory", policy: "paths:\n  - path: /esc\n",
			links: map[string]string{"esc": host}, want: "/esc"},
		{name: "relative escape to the host's directory", policy: "paths:\n  - path: /esc\n",
			links: map[string]string{"esc": strings.Repeat("../", 20) + strings.TrimPrefix(host, "/")}, want: "/esc"},
		{name: "loop", policy: "paths:\n  - path: /loop\n", links: map[string]string{"loop": "loop2", "loop2": "loop"},
			want: "/loop", problem: "too many levels"},
		{name: "link to its parent", policy: "paths:\n  - path: /usr/lib/up\n", links: map[string]string{"usr/lib/up": ".."},
			want: "/usr/lib/up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := linkTree(t)
			for l, d := range tc.links {
				tr.symlink(d, l)
			}
			s := tr.walk(mustPolicy(t, tc.policy), Options{})
			if got := strings.Join(paths(s.Entries), " "); got != tc.want {
				t.Errorf("entries\n got %s\nwant %s", got, tc.want)
			}
			var probs []string
			for _, pr := range s.Problems {
				probs = append(probs, pr.Path+": "+pr.Error)
			}
			if got := strings.Join(probs, "; "); (tc.problem == "") != (got == "") || !strings.Contains(got, tc.problem) {
				t.Errorf("problems %q, want %q", got, tc.problem)
			}
			for _, e := range s.Entries {
				if e.Error != "" {
					t.Errorf("%s: %s", e.Path, e.Error)
				}
				if e.SHA256 == hexSum([]byte("host secret")) {
					t.Errorf("%s: the host's file was read", e.Path)
				}
			}
			idx := entryMap(s)
			if e := idx["/lib/a.so"]; e != nil && (e.SHA256 != hexSum([]byte("ELF a")) || e.Type != TypeFile) {
				t.Errorf("/lib/a.so %+v", e)
			}
			if e := idx["/esc/s"]; e != nil && e.SHA256 != hexSum([]byte("in the tree")) {
				t.Errorf("/esc/s %+v", e)
			}
			if e := idx["/lib"]; e != nil && (e.Type != TypeSymlink || e.Target != "usr/lib") {
				t.Errorf("/lib %+v", e)
			}
		})
	}
}

// TestSymlinkedSelectionCheckAndRecord: a change in the real tree is a
// change of the selection's entry, for a walk and for Record (the
// watch) alike; retargeting the link is a change of the link.
func TestSymlinkedSelectionCheckAndRecord(t *testing.T) {
	tr := linkTree(t)
	p := mustPolicy(t, "paths:\n  - path: /lib\n")
	before := tr.walk(p, Options{})
	tr.write("usr/lib/a.so", "ELF a, patched")
	tr.write("usr/lib/sub/new", "n")
	after := tr.walk(p, Options{Previous: entryMap(before)})
	var got []string
	for _, c := range Compare(before.Entries, after.Entries, p) {
		got = append(got, string(c.Kind)+" "+c.Path)
	}
	if want := "changed /lib/a.so|added /lib/sub/new"; !strings.Contains(strings.Join(got, "|"), "changed /lib/a.so") ||
		!strings.Contains(strings.Join(got, "|"), "added /lib/sub/new") {
		t.Errorf("changes %q, want %s (and the directories' times)", got, want)
	}
	tg, err := target.OpenRootFS(tr.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	rec, err := Record(context.Background(), tg, p, []string{"/lib/a.so", "/lib"}, []string{"/lib/sub"}, entryMap(before))
	if err != nil {
		t.Fatal(err)
	}
	if g, w := strings.Join(paths(rec.Entries), " "), "/lib /lib/a.so /lib/sub /lib/sub/b /lib/sub/new"; g != w {
		t.Fatalf("recorded %s, want %s", g, w)
	}
	ai, ri := entryMap(after), entryMap(rec)
	for _, e := range rec.Entries {
		if e.Error != "" || len(diff(ai[e.Path], e, p.For(e.Path))) > 0 {
			t.Errorf("Record and Walk disagree on %s: %+v / %+v", e.Path, ai[e.Path], e)
		}
	}
	if ri["/lib/a.so"].SHA256 != hexSum([]byte("ELF a, patched")) {
		t.Errorf("Record hashed %+v", ri["/lib/a.so"])
	}
	// Retargeted: the link changes, its old tree's entries go.
	tr.write("usr/lib2/c", "c")
	if err := os.Remove(tr.path("lib")); err != nil {
		t.Fatal(err)
	}
	tr.symlink("usr/lib2", "lib")
	moved := tr.walk(p, Options{})
	if g, w := strings.Join(paths(moved.Entries), " "), "/lib /lib/c"; g != w {
		t.Errorf("after retargeting %s, want %s", g, w)
	}
}
