package checks

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/rsyslog"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// dirFilesModeTemplate bounds the permissions of the regular files in a
// directory (log directories, cron directories):
//
//	dir_files_mode: {dir: /var/log, recursive: true, max_mode: "0640", exclude: [wtmp, "btmp*", lastlog]}
//
// exclude matches base names (path.Match) of files and, when recursive,
// of subdirectories not to descend into. Symlinks are not followed. An
// absent directory is judged by missing (pass by default).
type dirFilesModeTemplate struct{}

type dirFilesModeArgs struct {
	Dir       string   `yaml:"dir"`
	Recursive bool     `yaml:"recursive"`
	MaxMode   string   `yaml:"max_mode"`
	Exclude   []string `yaml:"exclude"`
	Missing   string   `yaml:"missing"`
}

type dirFilesModeCheck struct {
	a       dirFilesModeArgs
	maxMode uint32
}

func (dirFilesModeTemplate) Name() string { return "dir_files_mode" }

func (dirFilesModeTemplate) New(n *yaml.Node) (check.Check, error) {
	var a dirFilesModeArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Dir == "" {
		return nil, check.ArgErrorf(n, "dir is required")
	}
	m, err := strconv.ParseUint(a.MaxMode, 8, 32)
	if err != nil || m > 07777 {
		return nil, check.ArgErrorf(n, "max_mode %q is not an octal mode like \"0640\"", a.MaxMode)
	}
	for _, p := range a.Exclude {
		if _, err := path.Match(p, ""); err != nil {
			return nil, check.ArgErrorf(n, "exclude %q: %v", p, err)
		}
	}
	if err := validStatus(n, "missing", a.Missing); err != nil {
		return nil, err
	}
	return &dirFilesModeCheck{a: a, maxMode: uint32(m)}, nil
}

func (c *dirFilesModeCheck) Fixable() bool { return true }

// maxDirFiles bounds the files a directory check inspects.
const maxDirFiles = 100000

func (c *dirFilesModeCheck) excluded(name string) bool {
	for _, p := range c.a.Exclude {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

func (c *dirFilesModeCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	t := f.Target()
	root := target.Clean(c.a.Dir)
	exp := fmt.Sprintf("files mode %04o or stricter", c.maxMode)
	fi, err := t.Stat(root)
	if err != nil {
		if isNotExist(err) {
			return statusOutcome(c.a.Missing, "pass", target.Abs(root)+" does not exist",
				result.Evidence{Expected: exp, Observed: "absent", File: target.Abs(root)})
		}
		return check.FromErr("stat "+target.Abs(root), err)
	}
	if !fi.Mode.IsDir() {
		return check.Errorf("%s is not a directory", target.Abs(root))
	}
	var bad []result.Evidence
	n := 0
	var walk func(dir string) error
	walk = func(dir string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := t.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("list %s: %w", target.Abs(dir), err)
		}
		for _, e := range ents {
			p := path.Join(dir, e.Name)
			if n >= maxDirFiles {
				return fmt.Errorf("more than %d files under %s", maxDirFiles, target.Abs(root))
			}
			fi, err := t.Lstat(p)
			if err != nil {
				continue
			}
			switch {
			case fi.Mode.IsDir():
				if c.a.Recursive && !c.excluded(e.Name) {
					if err := walk(p); err != nil {
						return err
					}
				}
			case fi.Mode.IsRegular():
				if c.excluded(e.Name) {
					continue
				}
				n++
				if m := PermBits(fi.Mode); m&^c.maxMode != 0 {
					bad = append(bad, result.Evidence{Expected: exp, Observed: fmt.Sprintf("mode %04o", m), File: target.Abs(p)})
				}
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return check.FromErr("walk "+target.Abs(root), err)
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(result.Evidence{Expected: exp, Observed: fmt.Sprintf("%d files, all compliant", n), File: target.Abs(root)})
}

// rsyslogFileModeTemplate checks the mode rsyslog creates log files with:
// every legacy $FileCreateMode, the builtin:omfile module default and each
// omfile action's fileCreateMode must be within max_mode, and something
// must set it (rsyslog's own default is 0644):
//
//	rsyslog_file_mode: {max_mode: "0640"}
type rsyslogFileModeTemplate struct{}

type rsyslogFileModeArgs struct {
	MaxMode string `yaml:"max_mode"`
}

type rsyslogFileModeCheck struct{ max uint32 }

func (rsyslogFileModeTemplate) Name() string { return "rsyslog_file_mode" }

func (rsyslogFileModeTemplate) New(n *yaml.Node) (check.Check, error) {
	var a rsyslogFileModeArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	m, err := strconv.ParseUint(a.MaxMode, 8, 32)
	if err != nil || m > 07777 {
		return nil, check.ArgErrorf(n, "max_mode %q is not an octal mode like \"0640\"", a.MaxMode)
	}
	return &rsyslogFileModeCheck{uint32(m)}, nil
}

func (c *rsyslogFileModeCheck) Fixable() bool { return true }

func (c *rsyslogFileModeCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, err := rsyslog.Get(f)
	if err != nil {
		return check.FromErr("read rsyslog configuration", err)
	}
	if !cfg.Present {
		return check.NotApplicable("rsyslog is not installed (no /etc/rsyslog.conf)")
	}
	exp := fmt.Sprintf("file create mode %04o or stricter", c.max)
	var good, bad []result.Evidence
	defaultSet := false
	judge := func(v, what string, st *rsyslog.Statement) {
		ev := result.Evidence{Expected: exp, Observed: what + " " + v, File: st.File, Line: st.Line}
		m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
		if err != nil || uint32(m)&^c.max != 0 {
			bad = append(bad, ev)
		} else {
			good = append(good, ev)
		}
	}
	for i := range cfg.Statements {
		st := &cfg.Statements[i]
		switch {
		case st.Kind == "directive" && strings.EqualFold(st.Name, "FileCreateMode"):
			defaultSet = true
			judge(st.Value, "$FileCreateMode", st)
		case st.Kind == "module" && strings.EqualFold(strings.TrimPrefix(st.Params["load"], "builtin:"), "omfile"):
			if v, ok := st.Params["filecreatemode"]; ok {
				defaultSet = true
				judge(v, `module(load="builtin:omfile") fileCreateMode`, st)
			}
		case st.Kind == "action" && strings.EqualFold(st.Params["type"], "omfile"):
			if v, ok := st.Params["filecreatemode"]; ok {
				judge(v, `action(type="omfile") fileCreateMode`, st)
			}
		}
	}
	if !defaultSet {
		bad = append(bad, result.Evidence{Expected: exp, Observed: "not set (rsyslog default 0644)", File: cfg.Files[0]})
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(good...)
}

// rsyslogInputTemplate forbids rsyslog network inputs (a log server's
// listening sockets):
//
//	rsyslog_input: {forbid: [imtcp, imudp, imrelp]}
//
// Both module(load="imtcp")/input(type="imtcp") and the legacy $ModLoad,
// $InputTCPServerRun and $UDPServerRun directives count.
type rsyslogInputTemplate struct{}

type rsyslogInputArgs struct {
	Forbid []string `yaml:"forbid"`
}

type rsyslogInputCheck struct{ a rsyslogInputArgs }

func (rsyslogInputTemplate) Name() string { return "rsyslog_input" }

func (rsyslogInputTemplate) New(n *yaml.Node) (check.Check, error) {
	var a rsyslogInputArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if len(a.Forbid) == 0 {
		return nil, check.ArgErrorf(n, "forbid: at least one input module is required")
	}
	return &rsyslogInputCheck{a}, nil
}

func (c *rsyslogInputCheck) Fixable() bool { return true }

// legacyInputs maps legacy listener directives to their module.
var legacyInputs = map[string]string{
	"inputtcpserverrun": "imtcp", "udpserverrun": "imudp", "inputudpserverrun": "imudp",
	"inputrelpserverrun": "imrelp", "inputptcpserverrun": "imptcp",
}

func (c *rsyslogInputCheck) Evaluate(ctx context.Context, f *facts.Store) check.Outcome {
	cfg, err := rsyslog.Get(f)
	if err != nil {
		return check.FromErr("read rsyslog configuration", err)
	}
	if !cfg.Present {
		return check.NotApplicable("rsyslog is not installed (no /etc/rsyslog.conf)")
	}
	exp := "no network input " + orList(c.a.Forbid)
	var bad []result.Evidence
	for i := range cfg.Statements {
		st := &cfg.Statements[i]
		var mod, obs string
		switch st.Kind {
		case "module":
			mod, obs = st.Params["load"], `module(load="`+st.Params["load"]+`")`
		case "input":
			mod, obs = st.Params["type"], `input(type="`+st.Params["type"]+`")`
		case "directive":
			name := strings.ToLower(st.Name)
			if name == "modload" {
				mod, obs = st.Value, "$ModLoad "+st.Value
			} else if m, ok := legacyInputs[name]; ok {
				mod, obs = m, "$"+st.Name+" "+st.Value
			}
		}
		if mod != "" && containsFold(c.a.Forbid, strings.TrimSuffix(mod, ".so")) {
			bad = append(bad, result.Evidence{Expected: exp, Observed: obs, File: st.File, Line: st.Line})
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(result.Evidence{Expected: exp, Observed: fmt.Sprintf("none in %s", strings.Join(cfg.Files, ", ")), File: cfg.Files[0]})
}
