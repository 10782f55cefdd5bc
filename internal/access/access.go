// Package access computes from a target's files who can get in and who
// can escalate: per account, whether its shell and password are usable,
// whether its password or the account has expired (shadow(5) as pam_unix
// reads it), which SSH keys it has, whether sshd lets it in with them or
// with its password, whether PAM account management would pass, and which
// sudo grants it holds, with or without a password.
//
// It reads through a target.Target, so it works on the real target and on
// a plan's overlay (remedy.Changes.Overlay); Diff lists every way in or up
// that worked before and does not after. Nothing here runs a program: on
// a live host the fix also runs sshd -t and visudo -c.
package access

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/pam"
	"github.com/cradle-cra/cradle/internal/collect/sshd"
	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/target"
)

// Status says whether a way in or up works.
type Status string

const (
	Works   Status = "works"
	Refused Status = "refused"
	// Unknown: cradle does not model what decides it (a PAM module it
	// does not know, an unreadable file).
	Unknown Status = "unknown"
)

// Way kinds.
const (
	KindSSHKey      = "ssh-key"
	KindSSHPassword = "ssh-password"
	KindSSHMulti    = "ssh-multi" // an AuthenticationMethods list of several methods
	KindConsole     = "console"
	KindSudo        = "sudo"
)

// Way is one way an account gets in or escalates.
type Way struct {
	Kind string `json:"kind"`
	// Name identifies the way within its account and is what Diff
	// compares: "SSH key login", "sudo /usr/bin/systemctl restart nginx (as root)".
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Reason says why the way does not work, or what it depends on.
	Reason string `json:"reason,omitempty"`
	// NoPassword is set for a sudo grant usable without a password
	// (sudo -n).
	NoPassword bool `json:"no_password,omitempty"`
}

// Grant is one sudo grant of an account after alias and group expansion.
type Grant struct {
	RunAs      string `json:"runas"`
	Command    string `json:"command"`
	NoPassword bool   `json:"no_password"`
	// Source is the sudoers file and line of the deciding rule.
	Source string `json:"source"`
}

// PAM verdicts of account management (pam_acct_mgmt).
const (
	PAMPass           = "pass"
	PAMChangeRequired = "change_required" // PAM_NEW_AUTHTOK_REQD: only an interactive password change gets in
	PAMRefuse         = "refuse"
	PAMUnknown        = "unknown"
	PAMNotUsed        = "not_used" // no PAM on the target, or the service does not use it
)

// Verdict is the outcome of PAM account management for one service.
type Verdict struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Password states of an account.
const (
	PasswordUsable   = "usable"
	PasswordLocked   = "locked"
	PasswordDisabled = "disabled" // "*", "!!" without hash, or no hash at all
	PasswordEmpty    = "empty"
	PasswordUnknown  = "unknown" // shadow unreadable
)

// Account is what one passwd entry can do.
type Account struct {
	Name   string   `json:"name"`
	UID    uint32   `json:"uid"`
	Home   string   `json:"home"`
	Shell  string   `json:"shell"`
	Groups []string `json:"groups,omitempty"`

	ShellUsable bool   `json:"shell_usable"`
	ShellReason string `json:"shell_reason,omitempty"`
	Password    string `json:"password"`
	// Expiry is pam_unix's reading of the shadow ageing fields as of the
	// model's time: "" (fine), or why it refuses or wants a change.
	Expiry Verdict `json:"expiry"`
	// Keys lists the authorized_keys files holding at least one key.
	Keys []string `json:"keys,omitempty"`
	// KeysCommand is sshd's AuthorizedKeysCommand, which may supply keys
	// cradle cannot see.
	KeysCommand string `json:"keys_command,omitempty"`
	// PAM is the account-management verdict per service (sshd, login, sudo).
	PAM   map[string]Verdict `json:"pam"`
	Sudo  []Grant            `json:"sudo,omitempty"`
	Ways  []Way              `json:"ways"`
	Notes []string           `json:"notes,omitempty"`
}

// Model is who can get in and escalate on a target at a time.
type Model struct {
	Now      time.Time `json:"now"`
	Accounts []Account `json:"accounts"`
	// Notes are what limits the model (unreadable files, Match blocks
	// that depend on the client).
	Notes []string `json:"notes,omitempty"`
	// SudoMissing is set when the sudoers policy grants something but no
	// sudo program is installed.
	SudoMissing bool `json:"sudo_missing,omitempty"`
	// SSHDMissing is set when sshd is configured but its program is not
	// installed; like SudoMissing it does not refuse ways by itself (test
	// trees, images built in stages), but Diff reports the removal.
	SSHDMissing bool `json:"sshd_missing,omitempty"`
	// inputs are the root-relative paths the model read or listed: a
	// change elsewhere cannot change it.
	inputs map[string]bool
}

// maxAccounts bounds the accounts modelled; the rest are noted.
const maxAccounts = 10000

// maxKeysFile bounds one authorized_keys file.
const maxKeysFile = 1 << 20

// Compute builds the model of t as of now.
func Compute(ctx context.Context, t target.Target, now time.Time) (*Model, error) {
	rt := &recorder{Target: t, seen: map[string]bool{}}
	m := &Model{Now: now.UTC()}
	db, err := accounts.Collect(ctx, rt)
	if err != nil {
		return nil, fmt.Errorf("access: accounts: %w", err)
	}
	if !db.ShadowReadable {
		m.Notes = append(m.Notes, "/etc/shadow unreadable ("+db.ShadowError+"): passwords and ageing unknown")
	}
	b := &builder{t: rt, m: m, db: db, today: now.UTC().Unix() / 86400}
	if b.ssh, err = sshd.Collect(ctx, rt); err != nil {
		m.Notes = append(m.Notes, "sshd configuration: "+err.Error())
		b.ssh = nil
	}
	if b.sudo, err = sudoers.Collect(ctx, rt); err != nil {
		m.Notes = append(m.Notes, "sudoers: "+err.Error())
		b.sudo = nil
	}
	if b.pam, err = pam.Collect(ctx, rt); err != nil {
		m.Notes = append(m.Notes, "PAM configuration: "+err.Error())
		b.pam = nil
	}
	b.nologin = b.nologinFile()
	b.hostname = b.readHostname()
	b.groupsOf = memberships(db)
	users := db.Users
	if len(users) > maxAccounts {
		m.Notes = append(m.Notes, fmt.Sprintf("more than %d accounts: the rest are not modelled", maxAccounts))
		users = users[:maxAccounts]
	}
	for i := range users {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.Accounts = append(m.Accounts, b.account(&users[i]))
	}
	if b.ssh != nil {
		m.Notes = append(m.Notes, b.sshNotes...)
	}
	m.inputs = rt.paths()
	return m, nil
}

// Account returns the named account, or nil.
func (m *Model) Account(name string) *Account {
	for i := range m.Accounts {
		if m.Accounts[i].Name == name {
			return &m.Accounts[i]
		}
	}
	return nil
}

// Ways lists the ways of user (nil for an unknown user).
func (m *Model) Ways(user string) []Way {
	if a := m.Account(user); a != nil {
		return a.Ways
	}
	return nil
}

// Working lists the ways of user that work.
func (m *Model) Working(user string) []Way {
	var out []Way
	for _, w := range m.Ways(user) {
		if w.Status == Works {
			out = append(out, w)
		}
	}
	return out
}

// Reads reports whether the model read or listed the root-relative path p
// or its parent directory: a change to any other path cannot change it.
func (m *Model) Reads(p string) bool {
	p = target.Clean(p)
	return m.inputs[p] || m.inputs[path.Dir(p)]
}

// recorder is a target that remembers every path read, stat'ed or listed.
type recorder struct {
	target.Target
	mu   sync.Mutex
	seen map[string]bool
}

func (r *recorder) note(name string) {
	r.mu.Lock()
	r.seen[target.Clean(name)] = true
	r.mu.Unlock()
}

func (r *recorder) paths() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen
}

func (r *recorder) Open(name string) (io.ReadCloser, error) {
	r.note(name)
	return r.Target.Open(name)
}

func (r *recorder) Stat(name string) (target.FileInfo, error) {
	r.note(name)
	return r.Target.Stat(name)
}

func (r *recorder) Lstat(name string) (target.FileInfo, error) {
	r.note(name)
	return r.Target.Lstat(name)
}

func (r *recorder) ReadDir(name string) ([]target.DirEntry, error) {
	r.note(name)
	return r.Target.ReadDir(name)
}

func (r *recorder) Readlink(name string) (string, error) {
	r.note(name)
	return r.Target.Readlink(name)
}

// builder computes the accounts of one model.
type builder struct {
	t        target.Target
	m        *Model
	db       *accounts.DB
	ssh      *sshd.Config
	sudo     *sudoers.Policy
	pam      *pam.Config
	today    int64
	nologin  string
	hostname string
	groupsOf map[string][]string
	sshNotes []string
	noted    map[string]bool
	pamDirs  *[]string
	missing  map[string]bool // PAM module → not installed
	shells   map[string]shellVerdict
	stacks   map[string]pamStack
	sudoWhy  *string
	// sshdMissing: a server configuration without the server program.
	sshdMissing *bool
}

type shellVerdict struct {
	ok  bool
	why string
}

func (b *builder) note(s string) {
	if b.noted == nil {
		b.noted = map[string]bool{}
	}
	if !b.noted[s] {
		b.noted[s] = true
		b.sshNotes = append(b.sshNotes, s)
	}
}

// memberships maps each user to its groups: the primary group and every
// group listing it.
func memberships(db *accounts.DB) map[string][]string {
	out := map[string][]string{}
	for _, u := range db.Users {
		out[u.Name] = append(out[u.Name], db.GroupName(u.GID))
	}
	for _, g := range db.Groups {
		for _, mem := range g.Members {
			if !contains(out[mem], g.Name) {
				out[mem] = append(out[mem], g.Name)
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// nologinFile is the nologin file pam_nologin and sshd honour, if any.
func (b *builder) nologinFile() string {
	for _, p := range []string{"etc/nologin", "run/nologin", "var/run/nologin"} {
		if fi, err := b.t.Stat(p); err == nil && fi.Mode.IsRegular() {
			return target.Abs(p)
		}
	}
	return ""
}

func (b *builder) readHostname() string {
	h, err := target.ReadFileLimit(b.t, "etc/hostname", 4096)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.SplitN(string(h), "\n", 2)[0])
}

func (b *builder) account(u *accounts.User) Account {
	a := Account{Name: u.Name, UID: u.UID, Home: u.Home, Shell: u.Shell, Groups: b.groupsOf[u.Name], PAM: map[string]Verdict{}}
	if b.shells == nil {
		b.shells = map[string]shellVerdict{}
	}
	sv, ok := b.shells[u.Shell]
	if !ok {
		sv.ok, sv.why = b.shell(u.Shell)
		b.shells[u.Shell] = sv
	}
	a.ShellUsable, a.ShellReason = sv.ok, sv.why
	a.Password = b.passwordState(u)
	a.Expiry = b.expiry(u)
	b.sshWays(&a, u)
	b.consoleWay(&a)
	b.sudoWays(&a)
	return a
}

// shell reports whether the login shell lets the account log in: not a
// nologin or false program, and present in the target (sshd refuses a
// user whose shell does not exist).
func (b *builder) shell(sh string) (bool, string) {
	if sh == "" {
		sh = "/bin/sh" // login(1) and sshd use /bin/sh for an empty field
	}
	switch path.Base(sh) {
	case "nologin", "false", "true", "sync", "halt", "shutdown":
		return false, "shell " + sh + " does not allow logins"
	}
	fi, err := b.t.Stat(sh)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, "shell " + sh + " does not exist"
	case err != nil:
		return true, ""
	case !fi.Mode.IsRegular() || fi.Mode.Perm()&0o111 == 0:
		return false, "shell " + sh + " is not an executable file"
	}
	return true, ""
}

func (b *builder) passwordState(u *accounts.User) string {
	field, ok := u.Password()
	if !ok {
		if !b.db.ShadowReadable {
			return PasswordUnknown
		}
		return PasswordDisabled // shadowed but no shadow entry: no hash to match
	}
	switch st, _ := accounts.Classify(field); st {
	case accounts.Hashed:
		return PasswordUsable
	case accounts.Locked:
		return PasswordLocked
	case accounts.Empty:
		return PasswordEmpty
	}
	return PasswordDisabled
}

// passwordUsable reports whether the named account has a password it can
// type (for sudo's rootpw/targetpw).
func (b *builder) passwordUsable(name string) bool {
	for i := range b.db.Users {
		if b.db.Users[i].Name == name {
			return b.passwordState(&b.db.Users[i]) == PasswordUsable
		}
	}
	return false
}

// day renders a day number of shadow(5) as a date.
func day(n int64) string { return time.Unix(n*86400, 0).UTC().Format("2006-01-02") }

// expiry is pam_unix's verdict on an account's shadow ageing fields.
func (b *builder) expiry(u *accounts.User) Verdict {
	if u.Passwd != "x" || u.Shadow == nil {
		if u.Passwd == "x" && !b.db.ShadowReadable {
			return Verdict{Status: PAMUnknown, Reason: "/etc/shadow unreadable"}
		}
		return Verdict{Status: PAMPass}
	}
	return ShadowExpiry(u.Shadow, b.today)
}

// ShadowExpiry reads the shadow ageing fields the way pam_unix's account
// management does (Linux-PAM modules/pam_unix/passverify.c,
// check_shadow_expiry, and pam_unix_acct.c) on day today (days since
// 1970-01-01):
//   - expiry date set and today >= it: PAM_ACCT_EXPIRED, refused;
//   - last change 0: PAM_NEW_AUTHTOK_REQD (a change forced by the administrator);
//   - last change in the future: success;
//   - max and inactive set and today - lastchg >= max + inactive:
//     PAM_AUTHTOK_EXPIRED, which account management turns into a refusal;
//   - max set and today - lastchg >= max: PAM_NEW_AUTHTOK_REQD (password expired);
//   - the minimum age matters only to a password change.
//
// Where Linux-PAM versions differ, the stricter reading is taken: an empty
// last-change field counts as -1 (1.5, Debian 12; 1.6 and later treat it
// as ageing disabled), and the limits are reached on the day itself (1.6
// and later; 1.5 one day later). sshd without PAM reads the same fields
// (auth-shadow.c).
func ShadowExpiry(s *accounts.Shadow, today int64) Verdict {
	switch {
	case s.Expire >= 0 && today >= s.Expire:
		return Verdict{Status: PAMRefuse, Reason: "account expired on " + day(s.Expire)}
	case s.LastChange == 0:
		return Verdict{Status: PAMChangeRequired, Reason: "password change forced (last change 0)"}
	case today < s.LastChange:
		return Verdict{Status: PAMPass}
	}
	passed := today - s.LastChange
	switch {
	case s.MaxDays >= 0 && s.Inactive >= 0 && passed >= s.MaxDays+s.Inactive:
		return Verdict{Status: PAMRefuse, Reason: "account inactive since " + day(s.LastChange+s.MaxDays+s.Inactive)}
	case s.MaxDays >= 0 && passed >= s.MaxDays:
		return Verdict{Status: PAMChangeRequired, Reason: "password expired since " + day(s.LastChange+s.MaxDays)}
	}
	return Verdict{Status: PAMPass}
}
