package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const homesPasswd = "root:x:0:0:root:/root:/bin/bash\n" +
	"bin:x:2:2:bin:/bin:/usr/sbin/nologin\n" +
	"postgres:x:104:110::/var/lib/postgresql:/bin/bash\n" +
	"web:x:33:33::/srv/www:/usr/sbin/nologin\n" +
	"alice:x:1000:1000::/home/alice:/bin/bash\n"

func TestHomeFiles(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		args   string
		status result.Status
		file   string
	}{
		{"none", map[string]string{"root/.bashrc": ""}, `{names: [.rhosts, .shosts]}`, result.Pass, ""},
		{"service account under /var", map[string]string{"var/lib/postgresql/.rhosts": ""}, `{names: [.rhosts]}`, result.Fail, "/var/lib/postgresql/.rhosts"},
		{"service account under /srv", map[string]string{"srv/www/.netrc": ""}, `{names: [.netrc]}`, result.Fail, "/srv/www/.netrc"},
		{"orphan home", map[string]string{"home/gone/.forward": ""}, `{names: [.forward]}`, result.Fail, "/home/gone/.forward"},
		{"shared system dir is not a home", map[string]string{"bin/.rhosts": "", "root/.bashrc": ""}, `{names: [.rhosts]}`, result.Pass, ""},
		{"nested name", map[string]string{"home/alice/.ssh/id_ed25519": "", "home/alice/.ssh/id_ed25519.pub": ""}, `{names: [".ssh/id_*"], exclude: ["*.pub"]}`, result.Fail, "/home/alice/.ssh/id_ed25519"},
		{"public key only", map[string]string{"home/alice/.ssh/id_ed25519.pub": ""}, `{names: [".ssh/id_*"], exclude: ["*.pub"]}`, result.Pass, ""},
		{".ssh is a file", map[string]string{"home/alice/.ssh": ""}, `{names: [".ssh/id_*"]}`, result.Pass, ""},
		{"absolute path", map[string]string{"etc/ssl/private/key.pem": ""}, `{names: [".ssh/id_*"], paths: [/etc/ssl/private/*]}`, result.Fail, "/etc/ssl/private/key.pem"},
		{"history glob", map[string]string{"root/.python_history": ""}, `{names: [".*history"]}`, result.Fail, "/root/.python_history"},
		{"no home at all", map[string]string{"etc/passwd": "", "etc/hostname": "x\n"}, `{names: [.rhosts]}`, result.NotApplicable, ""},
		{"no home, paths still read", map[string]string{"etc/passwd": "", "etc/ssl/private/key.pem": ""}, `{names: [.rhosts], paths: [/etc/ssl/private/*]}`, result.Fail, "/etc/ssl/private/key.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"etc/passwd": homesPasswd}
			for k, v := range tt.files {
				files[k] = v
			}
			o := kcEval(t, homeFilesTemplate{}, tt.args, targettest.Tree(t, files))
			if o.Status != tt.status {
				t.Fatalf("status %s, want %s: %s %+v", o.Status, tt.status, o.Reason, o.Evidence)
			}
			if tt.file != "" && o.Evidence[0].File != tt.file {
				t.Errorf("first file %s, want %s", o.Evidence[0].File, tt.file)
			}
		})
	}
}

func TestHomeFilesDevNullAndOffline(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{"etc/passwd": homesPasswd, "dev/null": "", "root/.x": ""})
	if err := os.Symlink("/dev/null", filepath.Join(tg.Name(), "root/.bash_history")); err != nil {
		t.Fatal(err)
	}
	if o := kcEval(t, homeFilesTemplate{}, `{names: [".*history"]}`, tg); o.Status != result.Pass {
		t.Errorf("history linked to /dev/null: %s %+v", o.Status, o.Evidence)
	}
	live := kcTree(t, true, map[string]string{"etc/passwd": homesPasswd, "root/.bash_history": "ls"})
	if o := kcEval(t, homeFilesTemplate{}, `{names: [".*history"], offline_only: true}`, live); o.Status != result.NotApplicable {
		t.Errorf("offline_only on a live host: %s", o.Status)
	}
}

func TestHomeFilesArgs(t *testing.T) {
	for _, args := range []string{`{}`, `{names: [/etc/x]}`, `{names: [../x]}`, `{names: ["["]}`, `{names: [x], exclude: [a/b]}`,
		`{names: [x], paths: [etc/x]}`, `{names: [x], paths: [/etc/*/x]}`, `{names: [x], fix: chmod}`} {
		if err := kcNewErr(homeFilesTemplate{}, args); err == nil {
			t.Errorf("New(%s) accepted", args)
		}
	}
}

func TestHomeFilesFix(t *testing.T) {
	tg := pkTree(t, map[string]string{"etc/passwd": homesPasswd, "var/lib/postgresql/.rhosts": "+ +", "home/alice/.shosts": "+"})
	ch := fixRoundTrip(t, homeFilesTemplate{}, `{names: [.rhosts, .shosts], fix: remove}`, tg)
	var sums []string
	for _, op := range ch.Ops() {
		sums = append(sums, op.Summary)
	}
	if got := strings.Join(sums, "; "); !strings.Contains(got, "remove /var/lib/postgresql/.rhosts") || !strings.Contains(got, "remove /home/alice/.shosts") {
		t.Errorf("ops: %s", got)
	}
}
