package cli

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// commands lists the path of every command in the tree.
func commands(t *testing.T) [][]string {
	t.Helper()
	root := NewRootCommand(Env{})
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		out = append(out, path)
		for _, sub := range c.Commands() {
			if sub.Hidden || strings.HasPrefix(sub.Name(), "__") {
				continue
			}
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(root, nil)
	if len(out) < 15 {
		t.Fatalf("only %d commands found: %v", len(out), out)
	}
	return out
}

// TestEveryCommandRejectsBadUsage: an unknown subcommand, an unknown flag
// or a bad argument is a usage error (exit 2) for every command.
func TestEveryCommandRejectsBadUsage(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"CRADLE_HOME": state}
	for _, path := range commands(t) {
		name := "cradle " + strings.Join(path, " ")
		cases := map[string][]string{
			"unknown flag":       append(slices.Clone(path), "--no-such-flag"),
			"unknown subcommand": append(slices.Clone(path), "no-such-command"),
			"extra arguments":    append(slices.Clone(path), "a", "b", "c"),
		}
		if len(path) > 0 && path[0] == "help" {
			// "cradle help X" looks X up: unknown is a usage error too.
			cases["unknown subcommand"] = []string{"help", "no-such-command"}
		}
		for what, args := range cases {
			_, errs, code := runIn(t, env, args...)
			if code != ExitUsage {
				t.Errorf("%s: %s %v: exit %d, want %d\n%s", name, what, args, code, ExitUsage, errs)
			}
			if !strings.HasPrefix(errs, "cradle: error: ") {
				t.Errorf("%s: %s: stderr %q", name, what, errs)
			}
		}
		out, errs, code := runIn(t, env, append(slices.Clone(path), "--help")...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: exit %d\n%s%s", name, code, out, errs)
		}
	}
	if _, _, code := runIn(t, env); code != 0 {
		t.Errorf("cradle without arguments: exit %d", code)
	}
}

func TestHelpShowsGroupsAndCompletion(t *testing.T) {
	out, _, code := runIn(t, nil, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Assess:", "Change", "Integrity", "scan", "fix", "drift", "completion", "Exit codes"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q:\n%s", want, out)
		}
	}
	if out, _, code := runIn(t, nil, "completion", "bash"); code != 0 || !strings.Contains(out, "bash completion") {
		t.Errorf("completion bash: exit %d", code)
	}
}

func TestPositionalPathSuggestsTargetFlag(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "app.tar", "x")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"scan", dir}, "--root " + dir},
		{[]string{"scan", file}, "--image " + file},
		{[]string{"drift", dir}, "--root " + dir},
		{[]string{"fix", "./nonexistent"}, "--root DIR or --image FILE"},
		{[]string{"runs", dir}, "--root " + dir},
		{[]string{dir}, "cradle scan --root " + dir},
	}
	for _, tc := range tests {
		_, errs, code := runIn(t, nil, tc.args...)
		if code != ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestEmptyTargetFlagIsUsageError: "--root $UNSET" must never mean the
// live host.
func TestEmptyTargetFlagIsUsageError(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"CRADLE_HOME": state}
	for _, args := range [][]string{
		{"scan", "--root", ""}, {"scan", "--image="}, {"fix", "--root", "", "--apply"}, {"rollback", "--root", "", "x"},
		{"runs", "--root="}, {"baseline", "approve", "--root", ""}, {"drift", "--image", ""}, {"watch", "--root", "", "--once"},
		{"log", "--root", ""}, {"log", "verify", "--image", ""}, {"log", "append", "--root", "", "--reason", "r"},
	} {
		_, errs, code := runIn(t, env, args...)
		if code != ExitUsage || !strings.Contains(errs, "is empty") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("state written for an empty target flag: %v", entries)
	}
}

func TestRootAndImageExclusive(t *testing.T) {
	for _, cmd := range [][]string{{"scan"}, {"fix"}, {"baseline", "approve"}, {"drift"}, {"watch"}, {"log"}, {"log", "verify"}} {
		args := append(slices.Clone(cmd), "--root", t.TempDir(), "--image", "x.tar")
		_, errs, code := runIn(t, nil, args...)
		if code != ExitUsage || !strings.Contains(errs, "--root and --image are mutually exclusive") && !strings.Contains(errs, "--image and --root are mutually exclusive") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// TestLayering: the CLI declares flags, calls the application layer and
// renders; it reaches below internal/app only for value types and
// rendering.
func TestLayering(t *testing.T) {
	allowed := map[string]bool{
		"github.com/cradle-cra/cradle/internal/app":     true,
		"github.com/cradle-cra/cradle/internal/target":  true, // target.Spec, a value type
		"github.com/cradle-cra/cradle/internal/result":  true, // the report value type
		"github.com/cradle-cra/cradle/internal/output":  true,
		"github.com/cradle-cra/cradle/internal/version": true,
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n > 200 {
			t.Errorf("%s: %d lines; keep command files small (move logic to internal/app)", f, n)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, b, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if strings.HasPrefix(p, "github.com/cradle-cra/cradle/") && !allowed[p] {
				t.Errorf("%s imports %s: call internal/app instead", f, p)
			}
		}
	}
}

// TestEveryCommandTeaches: each command's help has examples and says its
// exit codes (cobra's own help and completion commands aside).
func TestEveryCommandTeaches(t *testing.T) {
	root := NewRootCommand(Env{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "completion" || c.Name() == "help" || c.Hidden {
			return
		}
		if c.HasParent() && !c.HasSubCommands() {
			if !strings.Contains(c.Long, "Exit codes") || c.Example == "" {
				t.Errorf("%s: help lacks exit codes or examples", c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
