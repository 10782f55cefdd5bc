package homes

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestSkipReason(t *testing.T) {
	tests := []struct {
		rel  string
		skip bool
	}{
		{"", true},
		{"bin", true},
		{"dev", true},
		{"usr/sbin", true},
		{"usr/games", true},
		{"proc/1", true},
		{"var", true},
		{"var/lib", true},
		{"srv", true},
		{"root", false},
		{"home/alice", false},
		{"var/lib/postgresql", false},
		{"var/www", false},
		{"srv/app", false},
		{"opt/svc", false},
		{"usr/local/app", false},
		{"run/sshd", false},
		{"devices", false},
	}
	for _, tt := range tests {
		if got := SkipReason(tt.rel) != ""; got != tt.skip {
			t.Errorf("SkipReason(%q) skips = %v, want %v", tt.rel, got, tt.skip)
		}
	}
}

func TestFromPasswd(t *testing.T) {
	passwd := strings.Join([]string{
		"root:x:0:0:root:/root:/bin/bash",
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
		"sys:x:3:3:sys:/dev:/usr/sbin/nologin",
		"games:x:5:60:games:/usr/games:/usr/sbin/nologin",
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
		"systemd-network:x:998:998::/:/usr/sbin/nologin",
		"postgres:x:104:110::/var/lib/postgresql:/bin/bash",
		"app:x:990:990::/srv/app/:/usr/sbin/nologin",
		"app2:x:991:991::/srv/app:/usr/sbin/nologin",
		"svc:x:992:992::/opt/svc:/usr/sbin/nologin",
		"alice:x:1000:1000::/home/alice:/bin/bash",
		"evil:x:1001:1001::/home/evil:/bin/bash",
		"up:x:1002:1002::/home/up:/bin/bash",
		"rel:x:1003:1003::relative:/bin/bash",
		"empty:x:1004:1004:::/bin/bash",
		"file:x:1005:1005::/srv/file:/bin/bash",
		"",
	}, "\n")
	tg := targettest.Tree(t, map[string]string{
		"etc/passwd":                       passwd,
		"root/.bashrc":                     "",
		"usr/sbin/x":                       "",
		"usr/games/x":                      "",
		"dev/null":                         "",
		"var/lib/postgresql/.psql_history": "",
		"srv/app/.netrc":                   "",
		"opt/svc/.forward":                 "",
		"home/alice/.rhosts":               "",
		"home/olduser/.bash_history":       "",
		"srv/file":                         "",
	})
	root := tg.Name()
	// /home/evil leads to /etc; /home/up climbs above the root, which
	// the resolver stops at (the root directory).
	for name, to := range map[string]string{"home/evil": "/etc", "home/up": "../../../../.."} {
		if err := os.Symlink(to, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range f.Homes {
		got = append(got, h.Describe())
	}
	want := []string{
		"/home/alice (alice)",
		"/home/olduser (no account)",
		"/opt/svc (svc)",
		"/root (root)",
		"/srv/app (app, app2)",
		"/var/lib/postgresql (postgres)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("homes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	skipped := map[string]string{}
	for _, s := range f.Skipped {
		skipped[s.Path] = strings.Join(s.Users, ",") + ": " + s.Reason
	}
	for p, want := range map[string]string{
		"/usr/sbin":  "daemon: inside the system tree /usr",
		"/dev":       "sys: a shared system directory",
		"/usr/games": "games: inside the system tree /usr",
		"/":          "systemd-network: the root directory",
		"/home/evil": "evil: a shared system directory (/etc)",
		"/home/up":   "up: the root directory (/)",
		"relative":   "rel: not an absolute path",
		"(empty)":    "empty: no home directory",
		"/srv/file":  "file: not a directory",
	} {
		if skipped[p] != want {
			t.Errorf("skipped %s = %q, want %q", p, skipped[p], want)
		}
	}
	if _, ok := skipped["/nonexistent"]; ok {
		t.Error("a home that does not exist is skipped silently, not listed")
	}
}

func TestEmptyTree(t *testing.T) {
	f, err := Collect(context.Background(), targettest.Tree(t, map[string]string{"etc/os-release": "ID=x\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Homes) != 0 || len(f.Skipped) != 0 {
		t.Errorf("homes of an empty tree: %+v", f)
	}
}

func TestHomeCapBeforeStat(t *testing.T) {
	files := map[string]string{
		"etc/passwd":   "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n",
		"root/.bashrc": "",
	}
	for _, n := range []string{"alice", "b", "c", "d"} {
		files["home/"+n+"/.profile"] = ""
	}
	tests := []struct {
		limit, homes, truncated int
	}{
		{10, 5, 0},
		{3, 3, 2},
		{2, 2, 3}, // /home/alice is alice's home, already kept: not counted
		{1, 1, 4},
	}
	for _, tt := range tests {
		tg := targettest.Tree(t, files)
		db, err := accounts.Collect(context.Background(), tg)
		if err != nil {
			t.Fatal(err)
		}
		f, err := fromDB(context.Background(), tg, db, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Homes) != tt.homes || f.Truncated != tt.truncated {
			t.Errorf("limit %d: %d homes, %d truncated; want %d, %d", tt.limit, len(f.Homes), f.Truncated, tt.homes, tt.truncated)
		}
	}
}
