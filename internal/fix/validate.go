package fix

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// Validator checks the new content of one file before it replaces the old
// one. Syntax errors refuse the whole apply: a broken sshd_config or
// sudoers can lock administrators out.
type Validator struct {
	Name string
	// Match reports whether the validator covers the root-relative path.
	Match func(p string) bool
	// Check returns an error naming the line of the first problem.
	Check func(ctx context.Context, p string, data []byte, live bool) error
}

// Validators returns the built-in validators.
func Validators() []Validator {
	return []Validator{
		{Name: "sshd_config", Match: isSSHDConfig, Check: checkSSHD},
		{Name: "sudoers", Match: isSudoers, Check: checkSudoers},
	}
}

func isSSHDConfig(p string) bool {
	return p == "etc/ssh/sshd_config" || (path.Dir(p) == "etc/ssh/sshd_config.d" && strings.HasSuffix(p, ".conf"))
}

func isSudoers(p string) bool {
	return p == "etc/sudoers" || path.Dir(p) == "etc/sudoers.d"
}

// checkSSHD parses the file the way sshd does and rejects malformed lines
// and unknown keywords. On the live host the target's own sshd also
// checks it (sshd -t), since only it knows its compiled-in options.
func checkSSHD(ctx context.Context, p string, data []byte, live bool) error {
	for _, l := range sshd.Parse(data) {
		if l.Err != "" {
			return fmt.Errorf("%s:%d: %s", target.Abs(p), l.Num, l.Err)
		}
		if !sshd.Known(l.Keyword) {
			return fmt.Errorf("%s:%d: unknown sshd keyword %q", target.Abs(p), l.Num, l.Keyword)
		}
	}
	if live && p == "etc/ssh/sshd_config" {
		if bin, err := exec.LookPath("sshd"); err == nil {
			return runTool(ctx, p, data, bin, "-t", "-f")
		} else if _, err := os.Stat("/usr/sbin/sshd"); err == nil {
			return runTool(ctx, p, data, "/usr/sbin/sshd", "-t", "-f")
		}
	}
	return nil
}

// checkSudoers rejects malformed sudoers content with cradle's own
// sudoers parser and, on the live host, with the system's visudo -c.
func checkSudoers(ctx context.Context, p string, data []byte, live bool) error {
	if err := sudoers.Validate(data); err != nil {
		return fmt.Errorf("%s: %w", target.Abs(p), err)
	}
	if live {
		if bin, err := exec.LookPath("visudo"); err == nil {
			return runTool(ctx, p, data, bin, "-c", "-q", "-f")
		}
	}
	return nil
}

// runTool writes data to a private temporary file outside the target and
// runs bin with args followed by that file.
func runTool(ctx context.Context, p string, data []byte, bin string, args ...string) error {
	dir, err := os.MkdirTemp("", "cradle-validate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, path.Base(p))
	if err := os.WriteFile(f, data, 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append(args, f)...).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(strings.ReplaceAll(string(out), f, target.Abs(p)))
		return fmt.Errorf("%s rejects the new %s: %s", filepath.Base(bin), target.Abs(p), msg)
	}
	return nil
}

// Validate runs every matching validator over the files the plan writes.
func Validate(ctx context.Context, changes []remedy.PathChange, live bool, vs []Validator) error {
	var errs []string
	for _, pc := range changes {
		if pc.Action != remedy.ActWrite {
			continue
		}
		for _, v := range vs {
			if v.Match(pc.Path) {
				if err := v.Check(ctx, pc.Path, pc.Data, live); err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("validation failed, nothing was changed:\n%s", strings.Join(errs, "\n"))
	}
	return nil
}
