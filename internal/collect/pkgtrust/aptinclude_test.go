package pkgtrust

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestAptConfIncludeAndClear follows #include and #clear as apt's
// ReadConfigFile does: an included file is read where the directive is, a
// name ending in "/" reads the directory's parts, directives only at the
// top level, includes from the root and at most 10 deep.
func TestAptConfIncludeAndClear(t *testing.T) {
	const key = "APT::Get::AllowUnauthenticated"
	base := map[string]string{"etc/os-release": "ID=debian\n"}
	tests := []struct {
		name  string
		files map[string]string
		value string // "" with ok false: unset
		file  string
		err   string
		order []string // Files, when set
	}{
		{"include sets", map[string]string{
			"etc/apt/apt.conf.d/10inc": "#include \"/etc/apt/extra.conf\";\n",
			"etc/apt/extra.conf":       key + " \"true\";\n",
		}, "true", "/etc/apt/extra.conf", "", []string{"/etc/apt/apt.conf.d/10inc", "/etc/apt/extra.conf"}},
		{"later line wins over the include", map[string]string{
			"etc/apt/apt.conf.d/10inc": "#include /etc/apt/extra.conf;\n" + key + " \"false\";\n",
			"etc/apt/extra.conf":       key + " \"true\";\n",
		}, "false", "/etc/apt/apt.conf.d/10inc", "", nil},
		{"include wins over an earlier part", map[string]string{
			"etc/apt/apt.conf.d/10set": key + " \"false\";\n",
			"etc/apt/apt.conf.d/20inc": "#include /etc/apt/extra.conf;\n",
			"etc/apt/extra.conf":       key + " \"true\";\n",
		}, "true", "/etc/apt/extra.conf", "", nil},
		{"directory include reads parts in order", map[string]string{
			"etc/apt/apt.conf":     "#include /etc/apt/more/;\n",
			"etc/apt/more/20b":     key + " \"b\";\n",
			"etc/apt/more/10a":     key + " \"a\";\n",
			"etc/apt/more/30c.txt": key + " \"txt\";\n",
			"etc/apt/more/40d~":    key + " \"backup\";\n",
		}, "b", "/etc/apt/more/20b", "", []string{"/etc/apt/apt.conf", "/etc/apt/more/10a", "/etc/apt/more/20b"}},
		{"clear in an included file", map[string]string{
			"etc/apt/apt.conf.d/10set": "APT::Get { AllowUnauthenticated \"true\"; };\n",
			"etc/apt/apt.conf.d/20inc": "#include /etc/apt/clear.conf;\n",
			"etc/apt/clear.conf":       "#clear APT::Get;\n",
		}, "", "", "", nil},
		{"parts with another extension are ignored", map[string]string{
			"etc/apt/apt.conf.d/10set.conf": key + " \"conf\";\n",
			"etc/apt/apt.conf.d/20set.list": key + " \"list\";\n",
		}, "conf", "/etc/apt/apt.conf.d/10set.conf", "", nil},
		{"missing include", map[string]string{"etc/apt/apt.conf.d/10inc": "#include /etc/apt/none.conf;\n"}, "", "", "none.conf", nil},
		{"missing directory", map[string]string{"etc/apt/apt.conf.d/10inc": "#include /etc/apt/none/;\n"}, "", "", "/etc/apt/none/", nil},
		{"relative include", map[string]string{"etc/apt/apt.conf.d/10inc": "#include extra.conf;\n"}, "", "", "working directory", nil},
		{"include loop", map[string]string{"etc/apt/apt.conf.d/10inc": "#include /etc/apt/apt.conf.d/10inc;\n"}, "", "", "too many nested includes", nil},
		{"directive inside a block", map[string]string{"etc/apt/apt.conf.d/10x": "APT {\n#clear Get;\n};\n"}, "", "", "top level", nil},
		{"unsupported directive", map[string]string{"etc/apt/apt.conf.d/10x": "#includes /etc/x;\n"}, "", "", "unsupported directive", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := maps.Clone(base)
			maps.Copy(files, tt.files)
			tr, err := Collect(context.Background(), targettest.Tree(t, files))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a, ok := tr.Apt.Conf.Lookup(key)
			if ok != (tt.value != "") || a.Value != tt.value || a.File != tt.file {
				t.Errorf("%s = %+v (set %v), want %q from %s", key, a, ok, tt.value, tt.file)
			}
			if tt.order != nil && strings.Join(tr.Apt.Conf.Files, " ") != strings.Join(tt.order, " ") {
				t.Errorf("files %v, want %v", tr.Apt.Conf.Files, tt.order)
			}
		})
	}
}
