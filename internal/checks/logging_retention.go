package checks

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/collect/kvconf"
	"github.com/cradle-cra/cradle/internal/collect/logrotate"
	"github.com/cradle-cra/cradle/internal/collect/rsyslog"
	"github.com/cradle-cra/cradle/internal/collect/systemd"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// journaldSource is journald.conf with its drop-ins, merged as journald
// does (journald.conf(5): drop-ins sorted by name, a name in /etc masking
// the same name in /run and /usr/lib, later files winning).
var journaldSource = kvconf.Source{Syntax: kvconf.Systemd, Paths: []string{"/etc/systemd/journald.conf"}, DropIns: true}

// journaldInstalled reports whether the target has journald.
func journaldInstalled(t target.Target) bool {
	return target.Exists(t, "usr/lib/systemd/systemd-journald") || target.Exists(t, "lib/systemd/systemd-journald")
}

// journaldRetentionTemplate bounds journald's time-based deletion:
//
//	journald_retention: {min_days: 90}
//
// MaxRetentionSec= (journald.conf(5)) deletes entries older than the span;
// 0 or unset (the default) turns it off, which passes. Spans use
// systemd.time(7) units; a bare number is seconds.
type journaldRetentionTemplate struct{}

type journaldRetentionArgs struct {
	MinDays int64 `yaml:"min_days"`
}

type journaldRetentionCheck struct{ a journaldRetentionArgs }

func (journaldRetentionTemplate) Name() string { return "journald_retention" }

func (journaldRetentionTemplate) New(n *yaml.Node) (check.Check, error) {
	var a journaldRetentionArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.MinDays <= 0 {
		return nil, check.ArgErrorf(n, "min_days must be positive")
	}
	return &journaldRetentionCheck{a}, nil
}

func (c *journaldRetentionCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	if !journaldInstalled(f.Target()) {
		return check.NotApplicable("journald is not installed")
	}
	cfg, err := kvconf.Get(f, journaldSource)
	if err != nil {
		return check.FromErr("read journald.conf", err)
	}
	exp := fmt.Sprintf("MaxRetentionSec 0 (off) or at least %d days", c.a.MinDays)
	e := cfg.Lookup("Journal", "MaxRetentionSec", false, false)
	if e == nil {
		return check.Pass(result.Evidence{Expected: exp, Observed: "MaxRetentionSec not set (journald default 0: no time limit)", File: "/etc/systemd/journald.conf"})
	}
	ev := result.Evidence{Expected: exp, Observed: "MaxRetentionSec=" + e.Value, File: e.File, Line: e.Line}
	d, ok := SystemdTimespan(e.Value)
	if !ok {
		ev.Observed += " (not a time span journald accepts: it keeps its default, no time limit)"
		return check.Pass(ev)
	}
	if d == 0 || d >= time.Duration(c.a.MinDays)*24*time.Hour {
		return check.Pass(ev)
	}
	ev.Observed += fmt.Sprintf(": entries older than %s are deleted", d)
	return check.Fail(ev)
}

// timespanUnits are systemd.time(7)'s units; a month is 30.44 days and a
// year 365.25 days, as systemd defines them.
var timespanUnits = map[string]time.Duration{
	"us": time.Microsecond, "usec": time.Microsecond, "µs": time.Microsecond,
	"ms": time.Millisecond, "msec": time.Millisecond,
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"M": 2629800 * time.Second, "month": 2629800 * time.Second, "months": 2629800 * time.Second,
	"y": 31557600 * time.Second, "year": 31557600 * time.Second, "years": 31557600 * time.Second,
}

// SystemdTimespan parses a systemd time span ("1month 2w", "90d",
// "3600"); a bare number is seconds. "infinity" is reported as not ok.
func SystemdTimespan(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	var total float64 // nanoseconds; spans beyond time.Duration clamp to its maximum
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, false
		}
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, false
		}
		s = strings.TrimLeft(s[i:], " \t")
		j := 0
		for j < len(s) && (s[j] < '0' || s[j] > '9') && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		unit := time.Second
		if j > 0 {
			u, ok := timespanUnits[s[:j]]
			if !ok {
				return 0, false
			}
			unit = u
		}
		total += n * float64(unit)
		s = strings.TrimLeft(s[j:], " \t")
	}
	if total >= math.MaxInt64 {
		return math.MaxInt64, true
	}
	return time.Duration(total), true
}

// logrotateRotateTemplate requires old system logs to be kept:
//
//	logrotate_rotate: {min: 4, logs: [/var/log/syslog, /var/log/messages]}
//
// Every logrotate block naming one of logs keeps at least min rotated
// files (its rotate count, or the default in effect where the block
// starts, logrotate's built-in being 0). Where no block names them,
// logrotate never rotates them: fail. Without /etc/logrotate.conf logrotate
// does not run: not_applicable (logging.logrotate.configured covers it).
type logrotateRotateTemplate struct{}

type logrotateRotateArgs struct {
	Min  int      `yaml:"min"`
	Logs []string `yaml:"logs"`
}

type logrotateRotateCheck struct{ a logrotateRotateArgs }

func (logrotateRotateTemplate) Name() string { return "logrotate_rotate" }

func (logrotateRotateTemplate) New(n *yaml.Node) (check.Check, error) {
	var a logrotateRotateArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Min <= 0 || len(a.Logs) == 0 {
		return nil, check.ArgErrorf(n, "set min (positive) and logs")
	}
	return &logrotateRotateCheck{a}, nil
}

func (c *logrotateRotateCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	cfg, err := logrotate.Get(f)
	if err != nil {
		return check.FromErr("read logrotate configuration", err)
	}
	if !cfg.Present {
		return check.NotApplicable("logrotate is not configured (no /etc/logrotate.conf)")
	}
	exp := fmt.Sprintf("rotate >= %d", c.a.Min)
	var good, bad []result.Evidence
	judge := func(rot int, file string, line int, builtin bool, what string) {
		ev := result.Evidence{Expected: exp, Observed: fmt.Sprintf("%s: rotate %d", what, rot), File: file, Line: line}
		if builtin {
			ev.Observed += " (logrotate's default: old logs are deleted)"
		}
		if rot >= c.a.Min {
			good = append(good, ev)
		} else {
			bad = append(bad, ev)
		}
	}
	for i := range cfg.Blocks {
		b := &cfg.Blocks[i]
		var named []string
		for _, l := range c.a.Logs {
			if b.Covers(l) {
				named = append(named, l)
			}
		}
		if len(named) == 0 {
			continue
		}
		file, line := b.RotateFile, b.RotateLine
		if line == 0 {
			file, line = b.File, b.Line
		}
		judge(b.Rotate, file, line, b.RotateLine == 0, "block for "+strings.Join(named, ", ")+fmt.Sprintf(" (%s:%d)", b.File, b.Line))
	}
	if len(good)+len(bad) == 0 {
		// logrotate only rotates logs a block names: the global rotate
		// keeps nothing for them, they grow without bound.
		return check.Fail(result.Evidence{Expected: exp, Observed: strings.Join(c.a.Logs, ", ") + ": not rotated by logrotate (no block names them)", File: "/etc/logrotate.conf"})
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(good...)
}

// remoteLoggingTemplate judges sending logs to another host:
//
//	remote_logging: {require: configured}   logs leave the host at all
//	remote_logging: {require: tls}          every way they leave is TLS
//
// Read are rsyslog's forwarding actions (action(type="omfwd") and legacy
// "@host"/"@@host" selector lines, rsyslog.conf(5)) and
// systemd-journal-upload (journal-upload.conf(5), enabled service). A
// forward is TLS when it is TCP with the gtls or ossl stream driver (its
// own StreamDriver, else the global default driver), StreamDriverMode 1
// and an authentication mode other than anon (rsyslog's netstream driver
// documentation: anon authenticates nobody); a journal upload when its URL
// is https and TrustedCertificateFile is not "all" (no verification).
// Other log shippers are not read: with one present and nothing cradle
// reads configured, the result is not_applicable with that reason.
type remoteLoggingTemplate struct{}

type remoteLoggingArgs struct {
	Require string `yaml:"require"`
}

type remoteLoggingCheck struct{ a remoteLoggingArgs }

func (remoteLoggingTemplate) Name() string { return "remote_logging" }

func (remoteLoggingTemplate) New(n *yaml.Node) (check.Check, error) {
	var a remoteLoggingArgs
	if err := check.Decode(n, &a); err != nil {
		return nil, err
	}
	if a.Require != "configured" && a.Require != "tls" {
		return nil, check.ArgErrorf(n, "require must be configured or tls")
	}
	return &remoteLoggingCheck{a}, nil
}

// otherShippers are configurations of log shippers cradle does not read.
var otherShippers = []string{"etc/syslog-ng/syslog-ng.conf", "etc/fluent-bit/fluent-bit.conf", "etc/td-agent-bit/td-agent-bit.conf",
	"etc/vector/vector.toml", "etc/vector/vector.yaml", "etc/filebeat/filebeat.yml", "etc/nxlog/nxlog.conf"}

// remoteForward is one way logs leave the host.
type remoteForward struct {
	ev  result.Evidence
	tls bool
}

func (c *remoteLoggingCheck) Evaluate(_ context.Context, f *facts.Store) check.Outcome {
	fw, err := rsyslogForwards(f)
	if err != nil {
		return check.FromErr("read rsyslog configuration", err)
	}
	ju, err := journalUpload(f)
	if err != nil {
		return check.FromErr("read journal-upload configuration", err)
	}
	fw = append(fw, ju...)
	if len(fw) == 0 {
		for _, p := range otherShippers {
			if target.Exists(f.Target(), p) {
				return check.NotApplicable("logs are shipped by the program configured in %s, which cradle does not read; check its destinations by hand", target.Abs(p))
			}
		}
		if c.a.Require == "tls" {
			return check.NotApplicable("no remote logging is configured (rsyslog forwarding, systemd-journal-upload)")
		}
		return check.Fail(result.Evidence{Expected: "logs forwarded to a remote host (rsyslog omfwd or systemd-journal-upload)",
			Observed: "no rsyslog forwarding action and no enabled systemd-journal-upload"})
	}
	var good, bad []result.Evidence
	for _, r := range fw {
		if c.a.Require == "configured" || r.tls {
			good = append(good, r.ev)
		} else {
			bad = append(bad, r.ev)
		}
	}
	if len(bad) > 0 {
		return check.Fail(bad...)
	}
	return check.Pass(good...)
}

const tlsForwardExpected = "TCP with StreamDriver gtls or ossl, StreamDriverMode 1, StreamDriverAuthMode not anon"

// rsyslogForwards lists rsyslog's forwarding actions in load order, with
// the legacy $Action... settings in effect at each legacy line.
func rsyslogForwards(f *facts.Store) ([]remoteForward, error) {
	cfg, err := rsyslog.Get(f)
	if err != nil || !cfg.Present {
		return nil, err
	}
	var out []remoteForward
	defDriver := ""
	var legDriver, legMode, legAuth string
	for i := range cfg.Statements {
		st := &cfg.Statements[i]
		switch {
		case st.Kind == "global":
			if v, ok := st.Params["defaultnetstreamdriver"]; ok {
				defDriver = v
			}
		case st.Kind == "directive":
			switch strings.ToLower(st.Name) {
			case "defaultnetstreamdriver":
				defDriver = st.Value
			case "actionsendstreamdriver":
				legDriver = st.Value
			case "actionsendstreamdrivermode":
				legMode = st.Value
			case "actionsendstreamdriverauthmode":
				legAuth = st.Value
			}
		case st.Kind == "forward":
			tcp := strings.HasPrefix(st.Value, "@@")
			driver := legDriver
			if driver == "" {
				driver = defDriver
			}
			ok, why := tlsForward(tcp, driver, legMode, legAuth)
			out = append(out, remoteForward{tls: ok, ev: result.Evidence{Expected: tlsForwardExpected,
				Observed: "forward " + st.Value + ": " + why, File: st.File, Line: st.Line}})
		case st.Kind == "action" && strings.EqualFold(st.Params["type"], "omfwd"):
			driver := st.Params["streamdriver"]
			if driver == "" {
				driver = st.Params["streamdriver.name"]
			}
			if driver == "" {
				driver = defDriver
			}
			// omfwd's protocol defaults to udp.
			tcp := strings.EqualFold(st.Params["protocol"], "tcp")
			ok, why := tlsForward(tcp, driver, st.Params["streamdrivermode"], st.Params["streamdriverauthmode"])
			out = append(out, remoteForward{tls: ok, ev: result.Evidence{Expected: tlsForwardExpected,
				Observed: fmt.Sprintf("omfwd target %q: %s", st.Params["target"], why), File: st.File, Line: st.Line}})
		}
	}
	return out, nil
}

func tlsForward(tcp bool, driver, mode, auth string) (bool, string) {
	switch {
	case !tcp:
		return false, "UDP, unencrypted"
	case !strings.EqualFold(driver, "gtls") && !strings.EqualFold(driver, "ossl"):
		if driver == "" {
			driver = "ptcp"
		}
		return false, "stream driver " + driver + ", unencrypted"
	case strings.TrimSpace(mode) != "1":
		if mode == "" {
			mode = "0 (default)"
		}
		return false, "StreamDriverMode " + mode + ", TLS off"
	case auth == "" || strings.EqualFold(auth, "anon"):
		if auth == "" {
			auth = "unset (anon)"
		}
		return false, "TLS without authenticating the server (auth mode " + auth + ")"
	}
	return true, fmt.Sprintf("TLS (%s, auth mode %s)", driver, auth)
}

// journalUpload reports systemd-journal-upload when its service is
// enabled.
func journalUpload(f *facts.Store) ([]remoteForward, error) {
	sd, err := systemd.Get(f)
	if err != nil || sd.Init != systemd.Systemd {
		return nil, err
	}
	st, err := sd.State("systemd-journal-upload.service")
	if err != nil || st.State != systemd.Enabled {
		return nil, err
	}
	cfg, err := kvconf.Get(f, kvconf.Source{Syntax: kvconf.Systemd, Paths: []string{"/etc/systemd/journal-upload.conf"}, DropIns: true})
	if err != nil {
		return nil, err
	}
	exp := "URL=https://… with the server certificate verified"
	u := cfg.Lookup("Upload", "URL", false, false)
	if u == nil {
		return []remoteForward{{ev: result.Evidence{Expected: exp, Observed: "systemd-journal-upload enabled without URL= in journal-upload.conf", File: "/etc/systemd/journal-upload.conf"}}}, nil
	}
	ev := result.Evidence{Expected: exp, Observed: "URL=" + u.Value, File: u.File, Line: u.Line}
	// A URL without a scheme is https (systemd-journal-upload(8), --url).
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(u.Value)), "http://") {
		ev.Observed += ": unencrypted"
		return []remoteForward{{ev: ev}}, nil
	}
	if tc := cfg.Lookup("Upload", "TrustedCertificateFile", false, false); tc != nil && strings.TrimSpace(tc.Value) == "all" {
		ev.Observed += "; TrustedCertificateFile=all: the server is not verified"
		ev.File, ev.Line = tc.File, tc.Line
		return []remoteForward{{ev: ev}}, nil
	}
	return []remoteForward{{ev: ev, tls: true}}, nil
}
