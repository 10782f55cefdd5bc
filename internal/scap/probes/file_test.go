package probes

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestFile(t *testing.T) {
	dir := targettest.Dir(t, map[string]string{
		"etc/passwd":              "root:x:0:0::/root:/bin/sh\n",
		"etc/shadow":              "root:*:1::::::\n",
		"usr/bin/sudo":            "ELF",
		"usr/bin/ls":              "ELF",
		"usr/lib/x/libz.so":       "ELF",
		"usr/libexec/x/helper":    "ELF",
		"bin":                     "->usr/bin",
		"var/log/audit/audit.log": "x",
		"home/alice/.netrc":       "machine x",
		"home/alice/deep/.netrc":  "machine y",
	})
	chmod := func(rel string, m os.FileMode) {
		if err := os.Chmod(filepath.Join(dir, rel), m); err != nil {
			t.Fatal(err)
		}
	}
	chmod("etc/shadow", 0o640)
	chmod("usr/bin/sudo", 0o755|os.ModeSetuid)
	chmod("var/log/audit/audit.log", 0o600)
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()

	c := collect(t, tg, object("file", nil, ent("filepath", "/etc/shadow")))
	equal(t, "type", field(c, "type"), "regular")
	equal(t, "oread", field(c, "oread"), "false")
	equal(t, "gread", field(c, "gread"), "true")
	equal(t, "uwrite", field(c, "uwrite"), "true")
	equal(t, "user_id", field(c, "user_id"), itoa(os.Getuid()))

	// Recursion through a symlinked start directory, filename pattern.
	c = collect(t, tg, object("file", map[string]string{"recurse_direction": "down", "max_depth": "-1", "recurse": "directories", "recurse_file_system": "local"},
		ent("path", "/bin"), ent("filename", "pattern match", "^.*$")))
	equal(t, "filepath", field(c, "filepath"), "/bin/ls", "/bin/sudo")
	for _, it := range c.Items {
		if it.Fields["filename"][0].Text == "sudo" && it.Fields["suid"][0].Text != "true" {
			t.Errorf("sudo suid = %v", it.Fields["suid"])
		}
	}

	// filename xsi:nil: the directories themselves, recursively.
	c = collect(t, tg, object("file", map[string]string{"recurse_direction": "down", "max_depth": "-1", "recurse": "directories"},
		ent("path", "/usr/lib"), nilEnt("filename")))
	equal(t, "path", field(c, "filepath"), "/usr/lib", "/usr/lib/x")
	equal(t, "type", field(c, "type"), "directory", "directory")

	// max_depth 1 below /home finds /home/alice/.netrc, not deeper ones.
	c = collect(t, tg, object("file", map[string]string{"recurse_direction": "down", "max_depth": "1", "recurse": "directories"},
		ent("path", "/home"), ent("filename", "pattern match", `^\.netrc$`)))
	equal(t, "filepath", field(c, "filepath"), "/home/alice/.netrc")

	// The symlink itself is described, not its target.
	c = collect(t, tg, object("file", nil, ent("filepath", "/bin")))
	equal(t, "type", field(c, "type"), "symbolic link")

	// Absent: does not exist.
	c = collect(t, tg, object("file", nil, ent("filepath", "/etc/gshadow")))
	if len(c.Items) != 0 || c.Flag != oval.FlagDoesNotExist {
		t.Errorf("absent file: %+v", c)
	}

	// A path pattern with alternatives walks only the directories its
	// prefixes name; the /bin symlink is not a directory.
	c = collect(t, tg, object("file", nil,
		ent("path", "pattern match", `^\/(|s)bin|^\/usr\/(|local\/)(|s)bin|^\/usr\/libexec`), nilEnt("filename")))
	equal(t, "binary dirs", field(c, "filepath"), "/usr/bin", "/usr/libexec", "/usr/libexec/x")
	c = collect(t, tg, object("file", nil, ent("filepath", "pattern match", `^/usr/lib`)))
	equal(t, "lib prefix", field(c, "filepath"), "/usr/lib", "/usr/lib/x", "/usr/lib/x/libz.so",
		"/usr/libexec", "/usr/libexec/x", "/usr/libexec/x/helper")
	c = collect(t, tg, object("file", nil, ent("filepath", "pattern match", `^/(bin|etc/shadow)$`)))
	equal(t, "singles", field(c, "filepath"), "/bin", "/etc/shadow")

	// Recursion up.
	c = collect(t, tg, object("file", map[string]string{"recurse_direction": "up", "max_depth": "2"},
		ent("path", "/var/log/audit"), nilEnt("filename")))
	equal(t, "up", field(c, "filepath"), "/var", "/var/log", "/var/log/audit")
}

func itoa(n int) string { return string(intv(int64(n))[0].Text) }

// TestWalkReuse: a finished walk of an ancestor serves its subtrees, so a
// tree is walked once however many objects search below it.
func TestWalkReuse(t *testing.T) {
	dir := targettest.Dir(t, map[string]string{
		"usr/lib/a/b": "x",
		"usr/lib/c":   "y",
		"etc/d":       "z",
	})
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	fc := newFileCache()
	ctx := context.Background()
	root, err := fc.subtree(ctx, tg, "", true)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := fc.subtree(ctx, tg, "usr/lib", false)
	if err != nil {
		t.Fatal(err)
	}
	if lib != root || len(fc.walks) != 1 {
		t.Errorf("usr/lib walked again (%d walks)", len(fc.walks))
	}
	var got []string
	_ = lib.each("usr/lib", 1, func(_ int, _ *entry, dir, name string, depth int) error {
		got = append(got, fmt.Sprintf("%s:%d", joinSub(dir, name), depth))
		return nil
	})
	sort.Strings(got)
	equal(t, "usr/lib to depth 1", got, ":0", "a:1", "c:1")
}

// TestFileFieldMatchesItem: the partial item a filter sees holds the same
// values as the whole item.
func TestFileFieldMatchesItem(t *testing.T) {
	fi := target.FileInfo{Mode: os.ModeSetuid | os.ModeSticky | 0o751, UID: 3, GID: 4, Size: 5}
	r := fileRef{Dir: "/usr/bin", Name: "sudo"}
	it := fileItem(r, fi)
	for name, want := range it.Fields {
		got := fileField(name, r, fi)
		if len(got) != 1 || got[0].Text != want[0].Text || got[0].Datatype != want[0].Datatype {
			t.Errorf("%s: fileField %v, item %v", name, got, want)
		}
	}
	if fileField("has_extended_acl", r, fi) != nil {
		t.Error("a field the item lacks must be nil")
	}
}
