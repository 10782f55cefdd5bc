package kcmdline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestGrubDefaultDifferential generates seeded random /etc/default/grub
// and grub.d/*.cfg files and compares the command lines cradle reads with
// what a POSIX shell gets sourcing them the way grub-mkconfig does
// (". /etc/default/grub", then each grub.d/*.cfg in glob order).
// CRADLE_KCMDLINE_SEED overrides the seed; CRADLE_KCMDLINE_CASES the count.
func TestGrubDefaultDifferential(t *testing.T) {
	// The fixture's own /bin/sh in a clean C-locale environment: the
	// host's shell and locale would change the grub.d glob order.
	sb := targettest.NewSandbox(t)
	if !sb.Has("bin/sh") {
		targettest.Missing(t, "the fixture has no /bin/sh")
	}
	seed := uint64(20261205)
	if s := os.Getenv("CRADLE_KCMDLINE_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	cases := 200
	if s := os.Getenv("CRADLE_KCMDLINE_CASES"); s != "" {
		cases, _ = strconv.Atoi(s)
	}
	r := rand.New(rand.NewPCG(seed, 0))
	for i := range cases {
		files := genGrubDefault(r)
		rel := fmt.Sprintf("tmp/case%d", i)
		for name, body := range files {
			sb.Write(t, rel+"/"+name, body, 0o644)
		}
		dir := filepath.Join(sb.Root, rel)
		script := `cd "$1" || exit 1
. ./etc/default/grub
for x in ./etc/default/grub.d/*.cfg; do if [ -e "$x" ]; then . "$x"; fi; done
printf '%s\n%s\n%s' "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT" "$GRUB_DISABLE_RECOVERY"`
		out, stderr, err := sb.Run(context.Background(), "/bin/sh", "-c", script, "sh", "/"+rel)
		if err != nil {
			t.Fatalf("case %d (seed %d): sh: %v %s\n%s", i, seed, err, stderr, dump(files))
		}
		want := strings.SplitN(string(out), "\n", 3)
		tg, err := target.OpenRootFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Collect(context.Background(), tg)
		tg.Close()
		if err != nil {
			t.Fatal(err)
		}
		normal := strings.TrimSpace(want[0] + " " + want[1])
		got := map[string]string{}
		for _, s := range f.Sources {
			got[s.Kind] = s.Cmdline
		}
		if got[KindGrubDefault] != normal {
			t.Fatalf("case %d (seed %d): normal line %q, sh gives %q\n%s", i, seed, got[KindGrubDefault], normal, dump(files))
		}
		rec, hasRec := got[KindGrubRecovery]
		if want[2] == "true" {
			if hasRec {
				t.Fatalf("case %d (seed %d): recovery line with GRUB_DISABLE_RECOVERY=true\n%s", i, seed, dump(files))
			}
		} else if rec != want[0] {
			t.Fatalf("case %d (seed %d): recovery line %q, sh gives %q\n%s", i, seed, rec, want[0], dump(files))
		}
	}
}

func dump(files map[string]string) string {
	var b strings.Builder
	for name, body := range files {
		fmt.Fprintf(&b, "--- %s\n%s\n", name, body)
	}
	return b.String()
}

// genGrubDefault writes a main file and up to three grub.d snippets (some
// not matching *.cfg) from fragments with the traps: quoting, expansion of
// earlier values, export, comments, continuation lines, temporary
// assignments before a command, if blocks, several assignments per line.
func genGrubDefault(r *rand.Rand) map[string]string {
	params := []string{"audit=1", "audit=0", "quiet", "init=/bin/sh", "audit_backlog_limit=8192", "mitigations=off", "systemd.debug-shell=1", "slub_debug=P", "ro", `acpi_osi=\"Linux\"`}
	vars := []string{"GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"}
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	value := func() string {
		n := r.IntN(3)
		var ws []string
		for range n {
			ws = append(ws, pick(params))
		}
		return strings.Join(ws, " ")
	}
	assign := func() string {
		v := pick(vars)
		switch r.IntN(12) {
		case 0:
			return v + "='" + strings.ReplaceAll(value(), `\"`, `"`) + "'"
		case 1:
			return v + `="$` + v + " " + value() + `"`
		case 2:
			return v + `="${` + pick(vars) + "} " + value() + `"`
		case 3:
			return "export " + v + `="` + value() + `"`
		case 4:
			return v + `="` + value() + `" # ` + pick(vars) + "=ignored"
		case 5:
			return "# " + v + `="commented out"`
		case 6:
			return v + `="` + value() + ` \` + "\n" + value() + `"`
		case 7:
			return v + `="temporary" true`
		case 8:
			return "if true; then " + v + `="` + value() + `"; fi`
		case 9:
			return v + `="` + value() + `"; ` + pick(vars) + `="$` + v + ` x"`
		case 10:
			return "GRUB_DISABLE_RECOVERY=" + pick([]string{"true", "false", `"true"`})
		default:
			w := strings.ReplaceAll(pick(params), `\"`, "")
			return v + "=" + w
		}
	}
	block := func() string {
		var ls []string
		for range 1 + r.IntN(4) {
			ls = append(ls, assign())
		}
		return strings.Join(ls, "\n") + "\n"
	}
	files := map[string]string{"etc/default/grub": "GRUB_DEFAULT=0\n" + block()}
	for range r.IntN(4) {
		name := fmt.Sprintf("etc/default/grub.d/%02d-%s", r.IntN(100), pick([]string{"a.cfg", "b.cfg", "c.conf", "d.cfg~"}))
		files[name] = block()
	}
	return files
}
