package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
)

// runIn executes the CLI in-process with the given environment.
func runIn(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }})
	return out.String(), errb.String(), code
}

func logPath(t *testing.T, state, id string) string {
	t.Helper()
	return filepath.Join(state, "logs", target.KeyOf(id)+".jsonl")
}

// mustRunner returns a function that runs the CLI with env and fails the
// test unless it exits with want.
func mustRunner(t *testing.T, env map[string]string) func(want int, args ...string) (string, string) {
	return func(want int, args ...string) (string, string) {
		t.Helper()
		out, errs, code := runIn(t, env, args...)
		if code != want {
			t.Fatalf("cradle %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errs)
		}
		return out, errs
	}
}

func TestLogCommands(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"CRADLE_HOME": state}
	rootfs := t.TempDir()
	mustRun := mustRunner(t, env)

	// No log yet: showing is fine, verifying is an input error.
	mustRun(0, "log")
	_, errs := mustRun(2, "log", "verify")
	if !strings.Contains(errs, "no change log") {
		t.Fatalf("stderr %q", errs)
	}

	_, errs = mustRun(2, "log", "append", "--reason", "opened 8443 for the API", "--rule", "ssh.permit_root_logn")
	if !strings.Contains(errs, `--rule: unknown rule "ssh.permit_root_logn"; did you mean "ssh.permit_root_login"?`) {
		t.Fatalf("rule typo: stderr %q", errs)
	}
	mustRun(0, "log", "append", "--reason", "opened 8443 for the API", "--change-ref", "CHG-1", "--actor", "jdoe", "--rule", "ssh.permit_root_login")
	mustRun(0, "log", "append", "--action", "note", "--reason", "evil\x1b[2Jtext\nsecond line")
	mustRun(0, "log", "append", "--root", rootfs, "--reason", "rootfs change")

	out, _ := mustRun(0, "log")
	for _, want := range []string{"SEQ", "CHANGE REF", "jdoe (", "manual", "ssh.permit_root_login", "CHG-1", "opened 8443"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "second line\n") && !strings.Contains(out, "text second line") {
		t.Errorf("control characters from the log reach the terminal:\n%q", out)
	}
	if strings.Contains(out, "rootfs change") {
		t.Error("the host log shows the rootfs entry")
	}

	out, _ = mustRun(0, "log", "--root", rootfs, "--format", "json")
	var doc struct {
		Target  string            `json:"target"`
		Entries []changelog.Entry `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Entries) != 1 || doc.Entries[0].Reason != "rootfs change" || !strings.HasPrefix(doc.Target, "root:") {
		t.Fatalf("json: %+v", doc)
	}

	out, _ = mustRun(0, "log", "verify")
	if strings.TrimSpace(out) != "intact: 2 entries, head seq 2" {
		t.Fatalf("verify: %q", out)
	}

	// A foreign public key alone does not vouch for the log.
	other, _ := signing.Generate()
	pb, _ := signing.MarshalPublic(other.Public())
	pub := filepath.Join(t.TempDir(), "other.pub")
	os.WriteFile(pub, pb, 0o644)
	_, errs = mustRun(3, "log", "verify", "--pubkey", pub)
	if !strings.Contains(errs, "entry 1 (line 1)") || !strings.Contains(errs, "unknown key") {
		t.Fatalf("stderr %q", errs)
	}
	mustRun(0, "log", "verify", "--pubkey", filepath.Join(state, "keys", signing.PublicFile))
	mustRun(2, "log", "verify", "--pubkey", filepath.Join(state, "missing.pub"))

	// Tampering: exit 3 naming the entry; the log display warns.
	p := logPath(t, state, "host")
	orig, _ := os.ReadFile(p)
	os.WriteFile(p, editSigned(t, orig, "opened 8443", "closed 8443"), 0o600)
	_, errs = mustRun(3, "log", "verify")
	if !strings.Contains(errs, "entry 1 (line 1)") || !strings.Contains(errs, "edited") {
		t.Fatalf("stderr %q", errs)
	}
	_, errs = mustRun(0, "log")
	if !strings.Contains(errs, "not intact") {
		t.Fatalf("log display does not warn: %q", errs)
	}
	first := orig[:bytes.IndexByte(orig, '\n')+1]
	os.WriteFile(p, first, 0o600)
	_, errs = mustRun(3, "log", "verify")
	if !strings.Contains(errs, "truncated after entry 1") {
		t.Fatalf("stderr %q", errs)
	}
	// Appending to a truncated log is refused rather than re-sealed.
	_, errs = mustRun(2, "log", "append", "--reason", "x")
	if !strings.Contains(errs, "cradle log verify") {
		t.Fatalf("stderr %q", errs)
	}
	os.WriteFile(p, orig, 0o600)
	mustRun(0, "log", "verify")

	// The rootfs log is separate and intact.
	out, _ = mustRun(0, "log", "verify", "--root", rootfs)
	if !strings.Contains(out, "intact: 1 entries") {
		t.Fatalf("rootfs verify: %q", out)
	}
}

func TestLogUsageErrors(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"CRADLE_HOME": state}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"both targets", env, []string{"log", "--root", "/a", "--image", "/b"}, "mutually exclusive"},
		{"bad format", env, []string{"log", "--format", "xml"}, "--format"},
		{"unknown action", env, []string{"log", "append", "--action", "delete", "--reason", "x"}, "unknown action"},
		{"no reason", env, []string{"log", "append"}, "a reason is required"},
		{"relative home", map[string]string{"CRADLE_HOME": "rel"}, []string{"log", "verify"}, "absolute"},
		{"change ref required by env", map[string]string{"CRADLE_HOME": state, changelog.EnvRequireChangeRef: "1"},
			[]string{"log", "append", "--reason", "x"}, "change reference"},
		{"missing key file", env, []string{"log", "append", "--reason", "x", "--key", filepath.Join(state, "nope.key")}, "signing key"},
		{"extra argument", env, []string{"log", "verify", "x"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := runIn(t, tc.env, tc.args...)
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 with %q", code, errs, tc.want)
			}
		})
	}
}

func TestLogAppendPolicyAndKeys(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"CRADLE_HOME": state}
	os.WriteFile(filepath.Join(state, "change-policy.yaml"), []byte("require_change_ref: true\n"), 0o600)
	if _, errs, code := runIn(t, env, "log", "append", "--reason", "x"); code != ExitUsage || !strings.Contains(errs, "change reference") {
		t.Fatalf("policy not enforced: exit %d %q", code, errs)
	}
	if _, errs, code := runIn(t, env, "log", "append", "--reason", "x", "--change-ref", "CHG-7"); code != 0 {
		t.Fatalf("exit %d %q", code, errs)
	}

	// An operator-supplied key via the environment; its public key is
	// recorded so verification trusts it.
	k, _ := signing.Generate()
	kb, _ := signing.MarshalPrivate(k)
	kp := filepath.Join(t.TempDir(), "ops.key")
	os.WriteFile(kp, kb, 0o600)
	env[signing.EnvKey] = kp
	out, errs, code := runIn(t, env, "log", "append", "--reason", "y", "--change-ref", "CHG-8")
	if code != 0 || !strings.Contains(out, k.ID()) {
		t.Fatalf("exit %d %q %q", code, out, errs)
	}
	if out, errs, code := runIn(t, env, "log", "verify"); code != 0 || !strings.Contains(out, "intact: 2 entries") {
		t.Fatalf("verify with two keys: exit %d %q %q", code, out, errs)
	}
	if runtime.GOOS != "windows" {
		os.Chmod(kp, 0o644)
		_, errs, code := runIn(t, env, "log", "append", "--reason", "z", "--change-ref", "CHG-9")
		if code != ExitUsage || !strings.Contains(errs, "accessible by group or others") {
			t.Fatalf("insecure key accepted: exit %d %q", code, errs)
		}
		if strings.Contains(errs, "PRIVATE KEY") {
			t.Fatal("error shows key material")
		}
	}
}

// editSigned replaces old with new inside the payloads of the envelopes in
// b (one indented envelope, or one per line), keeping their signatures: a
// forger's edit.
func editSigned(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	edit := func(line []byte) []byte {
		env, err := envelope.Parse(line)
		if err != nil {
			t.Fatalf("not an envelope: %v", err)
		}
		p, _ := env.DecodeB64Payload()
		env.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(p, []byte(old), []byte(new), 1))
		out, _ := envelope.Marshal(env)
		return out
	}
	if _, err := envelope.Parse(b); err == nil {
		return edit(b)
	}
	var out []byte
	for _, ln := range bytes.SplitAfter(b, []byte("\n")) {
		if len(bytes.TrimSpace(ln)) == 0 {
			continue
		}
		out = append(append(out, edit(bytes.TrimSuffix(ln, []byte("\n")))...), '\n')
	}
	return out
}
