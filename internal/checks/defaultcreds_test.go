package checks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// Hashes made with `openssl passwd`: root -> "root", admin -> "admin",
// strong -> "Not-A-Default-9".
const (
	testHashRoot   = "$6$cradlesalt$ahwOiTsFLszZj1OVyuuRpOJFoSyV4EiM6Bf2YTdOvkxih15GqeWMmXy13un3abKRckgZxL6pCFpIA4DsWq3gk0"
	testHashAdmin  = "$5$cradlesalt$tLznc5cNGAqyAFItpaj1M7QfekMdWTQBA674cO7v6U/"
	testHashStrong = "$1$strongsl$ZxuOrEGoAyitGjZLKP7CR1" // md5crypt: cheap to exhaust
	testHashScrypt = "$7$CU..../....2dVdM/R3sXI7Sx9ZOgsVS1$Ukp07Kf/k6U3ZmCQ1sYM8NlA7t1tK1BA2eBJi1vyMHA"
	// libxcrypt yescrypt of "admin".
	testHashYesAdmin = "$y$j75$abcdefghijklmnop$H9g2KAq7S4vA4bj17VflMW0e65jFIGMLlP6.DZ4fXG9"
)

// prodTree writes files (root-relative path -> content) into a temp dir
// and opens it as a target.
func prodTree(t testing.TB, files map[string]string) *facts.Store {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return facts.NewStore(context.Background(), tg)
}

func prodNode(t testing.TB, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return doc.Content[0]
}

func prodPasswd(users ...string) string {
	var b strings.Builder
	for i, u := range users {
		shell := "/bin/bash"
		if u == "daemon" {
			shell = "/usr/sbin/nologin"
		}
		b.WriteString(u + ":x:" + string(rune('0'+i)) + ":0::/home/" + u + ":" + shell + "\n")
	}
	return b.String()
}

func TestDefaultCredentials(t *testing.T) {
	tests := []struct {
		name   string
		args   string
		shadow map[string]string
		want   result.Status
		inEv   string
	}{
		{"all locked", "{}", map[string]string{"root": "*", "daemon": "!"}, result.Pass, "no account has a usable"},
		{"root is root", "{}", map[string]string{"root": testHashRoot, "daemon": "*"}, result.Fail, "root: sha512crypt hash matches a well-known default password (r***)"},
		{"admin on another account", "", map[string]string{"root": "*", "daemon": testHashAdmin}, result.Fail, "daemon: sha256crypt"},
		{"login only skips nologin", "{accounts: login}", map[string]string{"root": "*", "daemon": testHashAdmin}, result.Pass, "no account has a usable"},
		{"strong password", "{}", map[string]string{"root": testHashStrong}, result.Pass, "root: md5crypt hash matches none of"},
		{"extra password", "{extra_passwords: [Not-A-Default-9]}", map[string]string{"root": testHashStrong}, result.Fail, "(N**************)"},
		{"empty password", "{}", map[string]string{"root": "", "daemon": "*"}, result.Fail, "empty password field"},
		{"only scrypt", "{}", map[string]string{"root": testHashScrypt}, result.Error, "scrypt hash not tested"},
		{"scrypt and verified", "{}", map[string]string{"root": testHashScrypt, "daemon": testHashStrong}, result.Error, "root: scrypt hash not tested"}, // an untested account leaves the verdict unknown,
		{"yescrypt admin", "{}", map[string]string{"root": testHashYesAdmin}, result.Fail, "root: yescrypt hash matches a well-known default password (a****)"},
		{"locked hash", "{}", map[string]string{"root": "!" + testHashRoot}, result.Pass, "no account has a usable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sh strings.Builder
			for _, u := range []string{"root", "daemon"} {
				if h, ok := tt.shadow[u]; ok {
					sh.WriteString(u + ":" + h + ":19000:0:99999:7:::\n")
				}
			}
			s := prodTree(t, map[string]string{"etc/passwd": prodPasswd("root", "daemon"), "etc/shadow": sh.String()})
			c, err := defaultCredsTemplate{}.New(prodNode(t, tt.args))
			if err != nil {
				t.Fatal(err)
			}
			o := c.Evaluate(context.Background(), s)
			if o.Status != tt.want {
				t.Fatalf("status %s (%s), want %s: %+v", o.Status, o.Reason, tt.want, o.Evidence)
			}
			all := o.Reason
			for _, e := range o.Evidence {
				all += "\n" + e.Observed + " " + e.Note
				if strings.Contains(e.Observed, "$6$") || strings.Contains(e.Note, "$") {
					t.Errorf("hash leaked into evidence: %+v", e)
				}
			}
			if !strings.Contains(all, tt.inEv) {
				t.Errorf("evidence lacks %q:\n%s", tt.inEv, all)
			}
		})
	}
}

func TestDefaultCredentialsPasswdField(t *testing.T) {
	tests := []struct {
		name, passwd string
		want         result.Status
		file, inEv   string
	}{
		{"hash in passwd", "legacy:" + testHashRoot + ":1003:1003::/home/legacy:/bin/bash\n", result.Fail, "/etc/passwd", "legacy: sha512crypt hash matches"},
		{"empty passwd field", "legacy::1003:1003::/home/legacy:/bin/bash\n", result.Fail, "/etc/passwd", "legacy: empty password field"},
		{"x without shadow entry", "legacy:x:1003:1003::/home/legacy:/bin/bash\n", result.Pass, "/etc/shadow", "no account has a usable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := prodTree(t, map[string]string{"etc/passwd": "root:x:0:0::/root:/bin/bash\n" + tt.passwd, "etc/shadow": "root:*:19000::::::\n"})
			c, err := defaultCredsTemplate{}.New(prodNode(t, "{}"))
			if err != nil {
				t.Fatal(err)
			}
			o := c.Evaluate(context.Background(), s)
			if o.Status != tt.want || len(o.Evidence) == 0 {
				t.Fatalf("status %s %+v", o.Status, o.Evidence)
			}
			e := o.Evidence[0]
			if e.File != tt.file || !strings.Contains(e.Observed, tt.inEv) {
				t.Errorf("evidence %+v", e)
			}
		})
	}
}

func TestDefaultCredentialsArgs(t *testing.T) {
	for _, bad := range []string{"{accounts: some}", "{budget: 30s}", "{max_bcrypt_cost: 40}", "{extra_passwords: ['']}", "{unknown: 1}"} {
		if _, err := (defaultCredsTemplate{}).New(prodNode(t, bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		} else if _, ok := err.(*check.ArgError); !ok {
			t.Errorf("%s: %T is not an ArgError", bad, err)
		}
	}
}
