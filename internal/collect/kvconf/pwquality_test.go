package kvconf

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestCollectPwquality(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  map[string]string // key -> effective value ("-" unset)
		stop  string
	}{
		{"main file read last wins", map[string]string{
			"etc/security/pwquality.conf":                "minlen = 12\n",
			"etc/security/pwquality.conf.d/90-late.conf": "minlen = 20\nretry = 2\n",
		}, map[string]string{"minlen": "12", "retry": "2"}, ""},
		{"drop-ins in byte order, skipped names", map[string]string{
			"etc/security/pwquality.conf.d/a.conf":      "minclass = 2\n",
			"etc/security/pwquality.conf.d/B.conf":      "minclass = 1\n",
			"etc/security/pwquality.conf.d/z.conf.conf": "minclass = 3\n",
			"etc/security/pwquality.conf.d/y.conf~":     "minclass = 3\n",
		}, map[string]string{"minclass": "2"}, ""},
		{"blank separator, case, comments, clamps, flags", map[string]string{
			"etc/security/pwquality.conf": "MinLen 4#short\nminclass=9\nenforce_for_root = 0\n  dcredit\t=\t+2 # c\n",
		}, map[string]string{"minlen": "6", "minclass": "4", "enforce_for_root": "", "dcredit": "2"}, ""},
		{"unknown name stops before the main file", map[string]string{
			"etc/security/pwquality.conf":          "minlen = 15\n",
			"etc/security/pwquality.conf.d/1.conf": "retry = 2\nminlength = 9\nretry = 5\n",
		}, map[string]string{"minlen": "-", "retry": "2"}, "/etc/security/pwquality.conf.d/1.conf:2: unknown setting"},
		{"bad integer stops", map[string]string{
			"etc/security/pwquality.conf": "minlen = = 12\nretry = 3\n",
		}, map[string]string{"minlen": "-", "retry": "-"}, "is not an integer"},
		{"long line stops", map[string]string{
			"etc/security/pwquality.conf": "retry = 3\n#" + strings.Repeat("x", 1100) + "\nminlen = 15\n",
		}, map[string]string{"minlen": "-", "retry": "3"}, "line too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Collect(context.Background(), targettest.Tree(t, tt.files), Source{Syntax: Pwquality, Paths: []string{"/etc/security/pwquality.conf"}})
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range tt.want {
				e := c.Lookup("", k, false, false)
				switch {
				case w == "-" && e != nil:
					t.Errorf("%s = %q, want unset", k, e.Value)
				case w != "-" && (e == nil || e.Value != w):
					t.Errorf("%s = %+v, want %q", k, e, w)
				}
			}
			switch {
			case tt.stop == "" && c.Stopped != nil:
				t.Errorf("stopped at %v", c.Stopped)
			case tt.stop != "" && (c.Stopped == nil || !strings.Contains(c.Stopped.String(), tt.stop)):
				t.Errorf("stopped %v, want %q", c.Stopped, tt.stop)
			}
		})
	}
}

// TestCollectPwqualityUnread checks that a drop-in libpwquality would read
// but cradle does not is an error, never a partial (possibly weaker) view.
func TestCollectPwqualityUnread(t *testing.T) {
	many := func(n int, extra map[string]string) map[string]string {
		m := map[string]string{"etc/security/pwquality.conf": "minlen = 14\n"}
		for i := range n {
			m[fmt.Sprintf("etc/security/pwquality.conf.d/%04d.conf", i)] = "retry = 3\n"
		}
		maps.Copy(m, extra)
		return m
	}
	tests := []struct {
		name  string
		files map[string]string
		err   string // "" no error
	}{
		{"cap counts only drop-ins read", many(maxDropIns, map[string]string{
			"etc/security/pwquality.conf.d/zz.conf~": "", "etc/security/pwquality.conf.d/README": "",
		}), ""},
		{"one drop-in past the cap", many(maxDropIns+1, nil), "more than the 1000 cradle reads"},
		{"oversized drop-in", many(1, map[string]string{
			"etc/security/pwquality.conf.d/zz.conf": strings.Repeat("#\n", int(target.MaxReadSize)),
		}), "zz.conf"},
		{"dangling link ignored as the library does", many(1, map[string]string{
			"etc/security/pwquality.conf.d/zz.conf": "->/nowhere",
		}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Collect(context.Background(), targettest.Tree(t, tt.files), Source{Syntax: Pwquality, Paths: []string{"/etc/security/pwquality.conf"}})
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want %q", err, tt.err)
			}
		})
	}
}
