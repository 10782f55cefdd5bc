package checks

import (
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// fxContains fails unless s contains every want.
func fxContains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// fxLacks fails if s contains any of bad.
func fxLacks(t *testing.T, what, s string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(s, w) {
			t.Errorf("%s has %q:\n%s", what, w, s)
		}
	}
}

// fxPaths lists the paths the plan writes, in Final order.
func fxPaths(ch *remedy.Changes) []string {
	var out []string
	for _, pc := range ch.Final() {
		if pc.Action == remedy.ActWrite {
			out = append(out, "/"+pc.Path)
		}
	}
	return out
}

func fxHasEffect(t *testing.T, ch *remedy.Changes, want remedy.Effect) {
	t.Helper()
	if !hasEffect(ch, want) {
		t.Errorf("no effect %+v in %+v", want, fxEffects(ch))
	}
}

func fxTree(t *testing.T, files ...map[string]string) target.Target {
	t.Helper()
	return targettest.Tree(t, fxMerge(files...))
}

func fxMerge(files ...map[string]string) map[string]string {
	m := map[string]string{}
	for _, f := range files {
		for k, v := range f {
			if v == "" {
				delete(m, k)
				continue
			}
			m[k] = v
		}
	}
	return m
}

func TestFixCommentOutAndNeutralise(t *testing.T) {
	tg := fxTree(t, map[string]string{
		"etc/sysctl.d/10-a.conf":     "a = 1\nb = 2\n",
		"usr/lib/sysctl.d/50-v.conf": "# vendor\nc = 3\nd = 4\n",
	})
	ch := remedy.New(tg)
	ch.Begin("r", remedy.Meta{})
	if err := fixNeutralise(ch, "/etc/sysctl.d/10-a.conf", []int{2}, "etc/sysctl.d", "x"); err != nil {
		t.Fatal(err)
	}
	if err := fixNeutralise(ch, "/usr/lib/sysctl.d/50-v.conf", []int{3}, "etc/sysctl.d", "y"); err != nil {
		t.Fatal(err)
	}
	if got := planned(t, ch, "etc/sysctl.d/10-a.conf"); got != "a = 1\n#cradle: b = 2\n" {
		t.Errorf("in place: %q", got)
	}
	got := planned(t, ch, "etc/sysctl.d/50-v.conf")
	fxContains(t, "mask", got, "# vendor\nc = 3\n#cradle: d = 4\n", "masks it")
	if planned(t, ch, "usr/lib/sysctl.d/50-v.conf") != "# vendor\nc = 3\nd = 4\n" {
		t.Error("vendor file changed")
	}
}
