package rsyslog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestParse(t *testing.T) {
	in := `# /etc/rsyslog.conf
module(load="imuxsock") # provides support for local system logging
module(load="builtin:omfile"
       fileCreateMode="0640"  # comment inside
       dirCreateMode="0755")
$FileOwner root
$FileCreateMode 0640
/* a block
   comment */
*.*;auth,authpriv.none		-/var/log/syslog
action(type="omfile" file="/var/log/x.log" fileCreateMode="0600")
include(file="/etc/rsyslog.d/*.conf" mode="optional")
$IncludeConfig /etc/rsyslog.d/*.conf
`
	got := Parse([]byte(in), "/etc/rsyslog.conf")
	type st struct {
		kind, key, val string
		line           int
	}
	var flat []st
	for _, s := range got {
		switch s.Kind {
		case "directive":
			flat = append(flat, st{s.Kind, s.Name, s.Value, s.Line})
		case "module":
			flat = append(flat, st{s.Kind, s.Params["load"], s.Params["filecreatemode"], s.Line})
		case "action":
			flat = append(flat, st{s.Kind, s.Params["type"], s.Params["filecreatemode"], s.Line})
		case "include":
			flat = append(flat, st{s.Kind, "file", s.Params["file"], s.Line})
		}
	}
	want := []st{
		{"module", "imuxsock", "", 2},
		{"module", "builtin:omfile", "0640", 3},
		{"directive", "FileOwner", "root", 6},
		{"directive", "FileCreateMode", "0640", 7},
		{"action", "omfile", "0600", 11},
		{"include", "file", "/etc/rsyslog.d/*.conf", 12},
		{"directive", "IncludeConfig", "/etc/rsyslog.d/*.conf", 13},
	}
	if len(flat) != len(want) {
		t.Fatalf("got %+v\nwant %+v", flat, want)
	}
	for i := range want {
		if flat[i] != want[i] {
			t.Errorf("%d: got %+v, want %+v", i, flat[i], want[i])
		}
	}
}

func TestCollectIncludes(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/rsyslog.conf", "$FileCreateMode 0640\n$IncludeConfig /etc/rsyslog.d/*.conf\n")
	write("etc/rsyslog.d/50-x.conf", "$FileCreateMode 0644\n")
	write("etc/rsyslog.d/ignored.txt", "$FileCreateMode 0666\n")
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 2 || c.Statements[len(c.Statements)-1].Value != "0644" || c.Statements[len(c.Statements)-1].File != "/etc/rsyslog.d/50-x.conf" {
		t.Fatalf("collected %+v", c)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("module(load=\"builtin:omfile\" fileCreateMode=\"0640\")\n$FileCreateMode 0640\n"))
	f.Add([]byte("action(type=\"omfile\" file='/x' # c\n)\n/* x */ include(file=\"/a\")\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range Parse(b, "/f") {
			if s.Kind == "" || s.Line < 1 {
				t.Fatalf("bad statement %+v", s)
			}
		}
	})
}

func TestParseSelectorAction(t *testing.T) {
	in := "auth,authpriv.* action(type=\"omfile\" file=\"/var/log/auth.log\" fileCreateMode=\"0644\")\nif $programname == 'x' then action(type=\"omfile\" file=\"/x\")\n*.* /var/log/all # action(type=\"omfile\")\n"
	got := Parse([]byte(in), "/f")
	if len(got) != 2 || got[0].Kind != "action" || got[0].Params["filecreatemode"] != "0644" || got[0].Line != 1 || got[1].Line != 2 || got[1].Params["file"] != "/x" {
		t.Fatalf("got %+v", got)
	}
}

func TestDebianRootFS(t *testing.T) {
	tg := targettest.Fixture(t)
	c, err := Collect(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	for _, s := range c.Statements {
		if s.Kind == "directive" && s.Name == "FileCreateMode" {
			mode = s.Value
		}
		if s.Kind == "module" && s.Params["load"] == "imudp" {
			t.Errorf("commented imudp parsed: %+v", s)
		}
	}
	if mode != "0640" {
		t.Errorf("FileCreateMode %q", mode)
	}
}

// Legacy selector lines that forward to another host are recorded; local
// files, user messages and comments are not.
func TestLegacyForward(t *testing.T) {
	st := Parse([]byte("*.* @@(o)logs:6514;RSYSLOG_SyslogProtocol23Format\nauth.*\t@10.0.0.1\nmail.* -/var/log/mail.log\n*.emerg :omusrmsg:*\n# *.* @@off\n*.*;auth.none  @\n"), "/f")
	var got []string
	for _, s := range st {
		if s.Kind == "forward" {
			got = append(got, fmt.Sprintf("%d:%s", s.Line, s.Value))
		}
	}
	if want := "1:@@(o)logs:6514;RSYSLOG_SyslogProtocol23Format 2:@10.0.0.1"; strings.Join(got, " ") != want {
		t.Errorf("forwards %v, want %s", got, want)
	}
}
