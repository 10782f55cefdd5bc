// Package remedy is the change model behind cradle fix. A check template
// that can remediate a failing rule does not touch the target: it reads
// the target through a Changes value and records typed operations on it —
// write this file, set this mode, replace this path with a symlink, set
// this runtime sysctl, remove this package. Changes keeps the cumulative
// desired state, so several rules editing one file compose, and every
// operation carries the exact change (a unified diff or a from/to state)
// for the plan. Applying the final state, journaling it and rolling it back
// is the job of internal/journal; impact analysis is internal/impact.
package remedy

import (
	"fmt"
	"io/fs"
	"strings"
)

// Kind names an operation type. It is part of the JSON plan.
type Kind string

const (
	KindWrite    Kind = "file.write"     // create or replace a file's content
	KindRemove   Kind = "file.remove"    // delete a file or symlink
	KindChmod    Kind = "file.chmod"     // change permission bits
	KindChown    Kind = "file.chown"     // change owner and group
	KindSymlink  Kind = "file.symlink"   // create or replace a symlink (unit enable/mask)
	KindMkdir    Kind = "file.mkdir"     // create a directory
	KindSysctl   Kind = "sysctl.runtime" // set a live kernel parameter
	KindPackage  Kind = "package"        // install or remove through the package manager
	KindDeferred Kind = "deferred"       // planned and reported, not applied on this target
)

// Effect says what an operation means for the running system, so the
// impact preflight can look for evidence that it would break something.
// Templates attach effects; the preflight interprets them.
type Effect struct {
	Kind    EffectKind `json:"kind"`
	Subject string     `json:"subject,omitempty"` // unit, module, sysctl key, user, option
	Value   string     `json:"value,omitempty"`
}

// EffectKind enumerates the effects the preflight understands.
type EffectKind string

const (
	EffectSSHNoRootLogin EffectKind = "ssh.no_root_login"  // root can no longer log in over SSH (or only with keys)
	EffectSSHNoPassword  EffectKind = "ssh.no_password"    // password authentication over SSH ends
	EffectSSHRestrict    EffectKind = "ssh.restrict"       // other sshd restriction (ciphers, forwarding, limits)
	EffectServiceOff     EffectKind = "service.disable"    // Subject unit stops being started (disable or mask)
	EffectModuleBlock    EffectKind = "module.block"       // Subject kernel module can no longer be loaded
	EffectSysctl         EffectKind = "sysctl.set"         // Subject key set to Value
	EffectMountOptions   EffectKind = "mount.options"      // Subject mount point gets Value options
	EffectPackageRemove  EffectKind = "package.remove"     // Subject package removed
	EffectAccountChange  EffectKind = "account.change"     // Subject account locked, shell or aging changed
	EffectPermissions    EffectKind = "file.permissions"   // tighter permissions on Subject
	EffectAuthPolicy     EffectKind = "auth.policy"        // PAM, sudo or login.defs policy tightened
	EffectSchedulerLimit EffectKind = "scheduler.restrict" // cron/at limited to allow-listed users
	// EffectSudoPassword: Subject user must give their password for the
	// sudo commands in Value (a NOPASSWD tag removed); "sudo -n" by
	// scripts of that user stops working for them.
	EffectSudoPassword   EffectKind = "sudo.password_required"
	EffectPackageInstall EffectKind = "package.install" // Subject package installed
	EffectFirewallDeny   EffectKind = "firewall.deny"   // Subject hook (input, forward) drops all but the ports in Value ("tcp/22,…")
	EffectOther          EffectKind = "other"
)

// Impact levels, from the preflight.
const (
	ImpactNone     = "none"
	ImpactPossible = "possible"
	ImpactObserved = "observed"
	// ImpactUnknown means the preflight had no source to look at for this
	// effect (no log, no journal, not live): never rated as none.
	ImpactUnknown = "unknown"
)

// Impact is the preflight's answer for one operation.
type Impact struct {
	Level    string   `json:"level"`
	Evidence []string `json:"evidence,omitempty"`
}

// Meta is a rule's fix metadata (from the rule's `fix:` block).
type Meta struct {
	Disruption string `json:"disruption,omitempty"` // low, medium, high
	Reboot     bool   `json:"reboot,omitempty"`
	Strategy   string `json:"strategy,omitempty"`
}

// Op is one planned operation. Ops are listed per rule in plan order; a
// file several rules edit appears once per rule with that rule's diff.
type Op struct {
	Rule    string `json:"rule"`
	Kind    Kind   `json:"kind"`
	Path    string `json:"path,omitempty"` // absolute inside the target: "/etc/ssh/sshd_config"
	Summary string `json:"summary"`
	Diff    string `json:"diff,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	// Reason explains a deferred operation.
	Reason  string   `json:"reason,omitempty"`
	Meta    Meta     `json:"fix"`
	Effects []Effect `json:"effects,omitempty"`
	Impact  *Impact  `json:"impact,omitempty"`

	before []byte // content at the start of this rule, for the diff
	hasOld bool
}

// Deferred reports whether the op is reported but not applied.
func (o *Op) Deferred() bool { return o.Kind == KindDeferred }

// modeString renders permission bits the way ls and chmod users read them.
func modeString(m fs.FileMode) string {
	s := fmt.Sprintf("%04o", uint32(m.Perm())|specialBits(m))
	return s
}

func specialBits(m fs.FileMode) uint32 {
	var b uint32
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

// ModeFromUnix converts a chmod-style number (0o4755) to an fs.FileMode.
func ModeFromUnix(n uint32) fs.FileMode {
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// ModeToUnix is the inverse of ModeFromUnix.
func ModeToUnix(m fs.FileMode) uint32 { return uint32(m.Perm()) | specialBits(m) }

// PermMask keeps the bits chmod sets.
const PermMask = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

func abs(p string) string { return "/" + strings.TrimPrefix(p, "/") }

// MaxImpactEvidence bounds the evidence of one impact verdict: a fix that
// touches a hundred thousand accounts gets a readable verdict, not one
// line per account.
const MaxImpactEvidence = 20

// CapEvidence keeps the first n items of ev and, when it drops any, ends
// the list with "and M more".
func CapEvidence(ev []string, n int) []string {
	if len(ev) <= n {
		return ev
	}
	return append(ev[:n:n], fmt.Sprintf("and %d more", len(ev)-n))
}
