package probes

import (
	"context"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestTextFileContent(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{
		"etc/ssh/sshd_config":           "# c\nPermitRootLogin no\nX11Forwarding yes\n",
		"etc/ssh/sshd_config.d/a.conf":  "PermitRootLogin yes\n",
		"etc/ssh/sshd_config.d/b.txt":   "PermitRootLogin maybe\n",
		"etc/audit/rules.d/x.rules":     "-w /etc/passwd -p wa -k identity\n-w /etc/group -p wa -k identity\n",
		"etc/audit/rules.d/sub/y.rules": "-w /etc/shadow -p wa\n",
		"etc/multi":                     "begin\nmiddle\nend\n",
		"etc/link":                      "->ssh/sshd_config",
	})
	instAll := oval.ObjectEntity{Name: "instance", Operation: oval.GreaterThanOrEqual, Datatype: oval.Int, Values: []string{"1"}}
	tests := []struct {
		name      string
		obj       *oval.Object
		field     string
		want      []string
		wantEmpty bool
	}{
		{"filepath and subexpression",
			object("textfilecontent54", nil, ent("filepath", "/etc/ssh/sshd_config"), ent("pattern", "pattern match", `^\s*PermitRootLogin\s+(\S+)`), ent("instance", "1")),
			"subexpression", []string{"no"}, false},
		{"path + filename pattern",
			object("textfilecontent54", nil, ent("path", "/etc/ssh/sshd_config.d"), ent("filename", "pattern match", `^.*\.conf$`), ent("pattern", "pattern match", `^PermitRootLogin\s+(\S+)`), instAll),
			"filepath", []string{"/etc/ssh/sshd_config.d/a.conf"}, false},
		{"filepath pattern walks its fixed directory",
			object("textfilecontent54", nil, ent("filepath", "pattern match", `^/etc/audit/rules\.d/.*\.rules$`), ent("pattern", "pattern match", `^-w (\S+)`), instAll),
			"subexpression", []string{"/etc/group", "/etc/passwd", "/etc/shadow"}, false},
		{"instance selects the second match",
			object("textfilecontent54", nil, ent("filepath", "/etc/audit/rules.d/x.rules"), ent("pattern", "pattern match", `^-w (\S+)`), ent("instance", "2")),
			"subexpression", []string{"/etc/group"}, false},
		{"multiline is the default: ^ matches each line",
			object("textfilecontent54", nil, ent("filepath", "/etc/multi"), ent("pattern", "pattern match", `^middle$`), instAll),
			"text", []string{"middle"}, false},
		{"singleline lets . cross lines",
			object("textfilecontent54", map[string]string{"singleline": "true"}, ent("filepath", "/etc/multi"), ent("pattern", "pattern match", `begin.*end`), instAll),
			"text", []string{"begin\nmiddle\nend"}, false},
		{"without singleline . stops at newlines",
			object("textfilecontent54", nil, ent("filepath", "/etc/multi"), ent("pattern", "pattern match", `begin.*end`), instAll),
			"text", nil, true},
		{"lookahead runs on the backtracking engine",
			object("textfilecontent54", nil, ent("filepath", "/etc/ssh/sshd_config"), ent("pattern", "pattern match", `^X11Forwarding\s+(?!no)(\S+)`), instAll),
			"subexpression", []string{"yes"}, false},
		{"symlinked file is read",
			object("textfilecontent54", nil, ent("filepath", "/etc/link"), ent("pattern", "pattern match", `^PermitRootLogin\s+(\S+)`), instAll),
			"subexpression", []string{"no"}, false},
		{"absent file: no items",
			object("textfilecontent54", nil, ent("filepath", "/etc/nope"), ent("pattern", "pattern match", `.`), instAll),
			"text", nil, true},
		{"recursion down finds files in subdirectories",
			object("textfilecontent54", map[string]string{"recurse_direction": "down", "max_depth": "-1", "recurse": "directories"},
				ent("path", "/etc/audit"), ent("filename", "pattern match", `\.rules$`), ent("pattern", "pattern match", `^-w (\S+) -p wa$`), instAll),
			"subexpression", []string{"/etc/shadow"}, false},
		{"max_depth 1 stops one level down",
			object("textfilecontent54", map[string]string{"recurse_direction": "down", "max_depth": "1", "recurse": "directories"},
				ent("path", "/etc/audit"), ent("filename", "pattern match", `\.rules$`), ent("pattern", "pattern match", `^-w (\S+)`), instAll),
			"filepath", []string{"/etc/audit/rules.d/x.rules", "/etc/audit/rules.d/x.rules"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := collect(t, tg, tc.obj)
			if tc.wantEmpty {
				if len(c.Items) != 0 || c.Flag != oval.FlagDoesNotExist {
					t.Fatalf("got %d items, flag %q; want none", len(c.Items), c.Flag)
				}
				return
			}
			equal(t, tc.field, field(c, tc.field), tc.want...)
		})
	}
}

func TestLiteralPrefixes(t *testing.T) {
	for p, want := range map[string]string{
		`^/etc/audit/rules\.d/.*\.rules$`:                      "/etc/audit/rules.d/",
		`^/etc/ssh/sshd_config$`:                               "/etc/ssh/sshd_config",
		`^/etc/cron\.d/?.*$`:                                   "/etc/cron.d",
		`.*\.conf$`:                                            "",
		`^/etc/(a|b)/x$`:                                       "/etc/a/x /etc/b/x",
		`^/home/[^/]+/\.netrc$`:                                "/home/",
		`^/etc/chrony\.(conf|d/.+\.conf)$`:                     "/etc/chrony.",
		`^/etc/sudoers(\.d/.*)?$`:                              "/etc/sudoers",
		`^/etc/apt/sources(.d\/[a-zA-Z0-9]+){0,1}.list$`:       "/etc/apt/sources",
		`^\/(|s)bin|^\/usr\/(|local\/)(|s)bin|^\/usr\/libexec`: "/bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin /usr/libexec",
		`^/a|b`: "",
	} {
		if got := strings.Join(literalPrefixes(p), " "); got != want {
			t.Errorf("literalPrefixes(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestUnsupportedEntityOrBehaviorIsAnError(t *testing.T) {
	tg := targettest.Tree(t, map[string]string{"etc/x": "a\n"})
	for _, obj := range []*oval.Object{
		object("textfilecontent54", map[string]string{"frobnicate": "true"}, ent("filepath", "/etc/x"), ent("pattern", "pattern match", "a")),
		object("file", nil, ent("filepath", "/etc/x"), ent("windows_view", "64_bit")),
	} {
		if _, err := Default()[obj.Type].Collect(context.Background(), obj, &oval.Env{Target: tg}); err == nil {
			t.Errorf("%s with an unsupported part collected without error", obj.Type)
		}
	}
}
