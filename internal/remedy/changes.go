package remedy

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/cradle-cra/cradle/internal/collect/sysctl"
	"github.com/cradle-cra/cradle/internal/digest"
	"github.com/cradle-cra/cradle/internal/target"
)

// node is the desired state of one path the plan touches.
type node struct {
	path       string // root-relative, symlink-free parents
	orig       target.FileInfo
	origExists bool
	// origSHA is the digest of the original content, taken when an
	// operation that replaces or removes it is planned.
	origSHA string

	exists  bool
	typ     fs.FileMode // 0 regular, fs.ModeDir, fs.ModeSymlink
	data    []byte
	dataSet bool
	link    string
	mode    fs.FileMode // permission and special bits
	modeSet bool
	uid     uint32
	gid     uint32
	ownSet  bool
	rules   []string
}

func (n *node) clone() *node {
	c := *n
	c.rules = slices.Clone(n.rules)
	return &c
}

// Runtime is a change to live state that is not a file: a sysctl value or
// a package manager action. Only live-host plans contain them.
type Runtime struct {
	Kind   Kind   `json:"kind"` // KindSysctl or KindPackage
	Key    string `json:"key"`  // sysctl key or package name
	Value  string `json:"value"`
	Old    string `json:"old,omitempty"`
	Action string `json:"action,omitempty"` // package: install or remove
	Rules  []string
}

// Changes accumulates the desired state of a target while templates plan
// their fixes. It is not safe for concurrent use: rules are planned one
// after another so their edits compose.
type Changes struct {
	base    target.Target
	nodes   map[string]*node
	runtime []Runtime
	ops     []Op

	rule string
	meta Meta
	// version counts mutations, so callers can cache views of the
	// planned state.
	version int
	// rollback point for the current rule: the nodes it touched as they
	// were before (nil for a node it created), saved on first touch so a
	// rule costs what it touches, not the size of the plan.
	savedNodes   map[string]*node
	savedOps     int
	savedRuntime int
	// children indexes node names by parent directory for ReadDir.
	children map[string]map[string]bool

	// opIndex finds the current rule's op for a path and kind, so a rule
	// editing a file twice updates one op without a scan of the plan.
	opIndex map[opKey]int
	// pending lists the ops recorded since the last Effect call; effect
	// is the group the next Effect attaches to, and attached what each op
	// of the rule already carries. Together they keep attaching effects
	// linear in operations and effects.
	pending  []int
	group    []int
	attached map[opEffect]bool

	// now is the time the plan is made for (SetNow).
	now time.Time
}

type opKey struct {
	path string
	kind Kind
}

type opEffect struct {
	op int
	e  Effect
}

// New returns an empty change set over t.
func New(t target.Target) *Changes {
	return &Changes{base: t, nodes: map[string]*node{}}
}

// SetNow sets the time the plan is made for. Fixes whose outcome depends
// on the date (password ageing against shadow's last-change day) read it
// through Now, never from the clock, so a plan is reproducible.
func (c *Changes) SetNow(t time.Time) { c.now = t }

// Now is the time set by SetNow; zero when none was set.
func (c *Changes) Now() time.Time { return c.now }

// Target is the unchanged target being planned against.
func (c *Changes) Target() target.Target { return c.base }

// Live reports whether runtime changes can be made.
func (c *Changes) Live() bool { return c.base.Live() }

// Begin starts planning rule id; later operations are attributed to it.
func (c *Changes) Begin(id string, m Meta) {
	c.rule, c.meta = id, m
	c.savedNodes = map[string]*node{}
	c.savedOps, c.savedRuntime = len(c.ops), len(c.runtime)
	c.resetRule()
}

// resetRule forgets the per-rule indexes.
func (c *Changes) resetRule() {
	c.opIndex, c.attached = map[opKey]int{}, map[opEffect]bool{}
	c.pending, c.group = nil, nil
}

// Abort discards everything the current rule recorded (its template
// failed half-way).
func (c *Changes) Abort() {
	c.version++
	for k, n := range c.savedNodes {
		if n == nil {
			delete(c.nodes, k)
		} else {
			c.nodes[k] = n
		}
	}
	c.ops = c.ops[:c.savedOps]
	c.runtime = c.runtime[:c.savedRuntime]
	c.savedNodes = nil
	c.resetRule()
}

// Version changes whenever the planned state may have changed.
func (c *Changes) Version() int { return c.version }

// Ops lists the recorded operations in plan order.
func (c *Changes) Ops() []Op { return c.ops }

// RuleOps returns the operations recorded for rule id (pointers, so the
// preflight can attach impact).
func (c *Changes) RuleOps(id string) []*Op {
	var out []*Op
	for i := range c.ops {
		if c.ops[i].Rule == id {
			out = append(out, &c.ops[i])
		}
	}
	return out
}

// Runtime lists the runtime changes.
func (c *Changes) RuntimeChanges() []Runtime { return c.runtime }

// Effect attaches e to the operations the current rule recorded (or
// updated) since its previous Effect call; consecutive Effect calls attach
// to the same operations. A template that plans one item after another
// (a home directory per account, a package per name) thus gives each
// item's operations that item's effects, and attaching stays linear.
func (c *Changes) Effect(e Effect) {
	if len(c.pending) > 0 {
		c.group, c.pending = c.pending, nil
	}
	if c.attached == nil {
		c.attached = map[opEffect]bool{}
	}
	for _, i := range c.group {
		if k := (opEffect{i, e}); !c.attached[k] {
			c.attached[k] = true
			c.ops[i].Effects = append(c.ops[i].Effects, e)
		}
	}
}

// resolvePath finds the real path name stands for, with symlinks in its
// parent directories (and in the final component when follow is set)
// resolved through the planned state.
func (c *Changes) resolvePath(name string, follow bool) (string, error) {
	return target.Resolve(c.Overlay(), name, follow)
}

// lookup returns the node for a resolved path, creating one from the base
// target's state.
func (c *Changes) lookup(p string) (*node, error) {
	if n, ok := c.nodes[p]; ok {
		if _, saved := c.savedNodes[p]; !saved && c.savedNodes != nil {
			c.savedNodes[p] = n.clone()
		}
		return n, nil
	}
	n := &node{path: p}
	fi, err := c.base.Lstat(p)
	switch {
	case err == nil:
		n.orig, n.origExists, n.exists = fi, true, true
		n.typ = fi.Mode.Type()
		n.mode, n.uid, n.gid = fi.Mode&PermMask, fi.UID, fi.GID
		if fi.Mode&fs.ModeSymlink != 0 {
			n.link = fi.Link
			if n.link == "" {
				n.link, _ = c.base.Readlink(p)
			}
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, err
	}
	c.nodes[p] = n
	if c.savedNodes != nil {
		c.savedNodes[p] = nil
	}
	if c.children == nil {
		c.children = map[string]map[string]bool{}
	}
	dir := path.Dir(p)
	if !strings.Contains(p, "/") {
		dir = ""
	}
	if c.children[dir] == nil {
		c.children[dir] = map[string]bool{}
	}
	c.children[dir][path.Base(p)] = true
	return n, nil
}

func (c *Changes) touch(n *node) {
	if c.rule != "" && !slices.Contains(n.rules, c.rule) {
		n.rules = append(n.rules, c.rule)
	}
}

// ReadFile returns the planned content of name (following symlinks), or
// an error wrapping fs.ErrNotExist when it does not exist in the plan.
func (c *Changes) ReadFile(name string) ([]byte, error) {
	return target.ReadFile(c.Overlay(), name)
}

// Stat returns the planned metadata of name, following symlinks.
func (c *Changes) Stat(name string) (target.FileInfo, error) { return c.Overlay().Stat(name) }

// Lstat returns the planned metadata of name itself.
func (c *Changes) Lstat(name string) (target.FileInfo, error) { return c.Overlay().Lstat(name) }

// Exists reports whether name exists in the plan (following symlinks).
func (c *Changes) Exists(name string) bool {
	_, err := c.Stat(name)
	return err == nil
}

// createPath resolves name for creating its last component: the deepest
// existing ancestor is resolved through the planned state (so a new file
// under lib/ on a merged-/usr system lands in usr/lib/) and the missing
// components are appended.
func (c *Changes) createPath(name string) (string, error) {
	parts := strings.Split(target.Clean(name), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		p, err := c.resolvePath(strings.Join(parts[:i], "/"), true)
		if err == nil {
			return path.Join(append([]string{p}, parts[i:]...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return target.Clean(name), nil
}

// mkdirAll plans the missing parents of p (0755, root-owned).
func (c *Changes) mkdirAll(dir string) error {
	if dir == "" || dir == "." {
		return nil
	}
	fi, err := c.Overlay().Lstat(dir)
	if err == nil {
		if !fi.Mode.IsDir() {
			return fmt.Errorf("%s: not a directory", target.Abs(dir))
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := c.mkdirAll(path.Dir(dir)); err != nil {
		return err
	}
	n, err := c.lookup(dir)
	if err != nil {
		return err
	}
	if n.origExists && n.orig.Mode.Type() != fs.ModeDir {
		// Applying would need to remove the old object first and write
		// below where a symlink pointed; plans never change a path's type
		// to a directory.
		return fmt.Errorf("%s: cannot replace a %s with a directory", target.Abs(dir), typeName(n.orig.Mode))
	}
	n.exists, n.typ, n.mode, n.modeSet, n.uid, n.gid, n.ownSet = true, fs.ModeDir, 0o755, true, 0, 0, true
	n.data, n.dataSet, n.link = nil, false, ""
	c.touch(n)
	c.addOp(Op{Kind: KindMkdir, Path: target.Abs(dir), Summary: "create directory " + target.Abs(dir), To: "0755 root:root"})
	return nil
}

func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsRegular():
		return "file"
	}
	return "special file"
}

// Mkdir plans a directory with the given mode and owner (missing parents
// are created 0755 root-owned). An existing directory is left alone.
func (c *Changes) Mkdir(name string, perm fs.FileMode, uid, gid uint32, summary string) error {
	p, err := c.createPath(name)
	if err != nil {
		return err
	}
	if fi, err := c.Overlay().Lstat(p); err == nil {
		if !fi.Mode.IsDir() {
			return fmt.Errorf("mkdir %s: exists and is not a directory", target.Abs(p))
		}
		return nil
	}
	if err := c.mkdirAll(path.Dir(p)); err != nil {
		return err
	}
	n, err := c.lookup(p)
	if err != nil {
		return err
	}
	if n.origExists && n.orig.Mode.Type() != fs.ModeDir {
		return fmt.Errorf("%s: cannot replace a %s with a directory", target.Abs(p), typeName(n.orig.Mode))
	}
	n.exists, n.typ, n.mode, n.modeSet, n.uid, n.gid, n.ownSet = true, fs.ModeDir, perm&PermMask, true, uid, gid, true
	n.data, n.dataSet, n.link = nil, false, ""
	c.touch(n)
	c.addOp(Op{Kind: KindMkdir, Path: target.Abs(p), Summary: summary, To: fmt.Sprintf("%s %d:%d", modeString(perm), uid, gid)})
	return nil
}

// placeNode finds (or plans the parents of) the path a new file or link
// named name goes to: name resolved through the planned state (its final
// symlink followed when follow is set), or, when it does not exist yet,
// below its deepest existing ancestor. A directory there is an error.
func (c *Changes) placeNode(name string, follow bool) (*node, error) {
	p, err := c.resolvePath(name, follow)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		if p, err = c.createPath(name); err != nil {
			return nil, err
		}
	}
	if err := c.mkdirAll(path.Dir(p)); err != nil {
		return nil, err
	}
	n, err := c.lookup(p)
	if err != nil {
		return nil, err
	}
	if n.exists && n.typ == fs.ModeDir {
		return nil, fmt.Errorf("%s: is a directory", target.Abs(p))
	}
	return n, nil
}

// existingNode returns the node of an existing path (symlinks followed)
// for a metadata change; op names the change in errors.
func (c *Changes) existingNode(op, name string) (*node, error) {
	p, err := c.resolvePath(name, true)
	if err != nil {
		return nil, err
	}
	n, err := c.lookup(p)
	if err != nil {
		return nil, err
	}
	if !n.exists {
		return nil, fmt.Errorf("%s %s: %w", op, target.Abs(p), fs.ErrNotExist)
	}
	return n, nil
}

// WriteFile plans name's content. An existing file (symlinks followed)
// keeps its mode, owner and extended attributes; a new one is created
// with perm, owned by root, and missing parent directories are created.
func (c *Changes) WriteFile(name string, data []byte, perm fs.FileMode, summary string) error {
	n, err := c.placeNode(name, true)
	if err != nil {
		return err
	}
	p := n.path
	old, hadOld := []byte(nil), n.exists && n.typ == 0
	if hadOld {
		if old, err = c.ReadFile(p); err != nil {
			return err
		}
		if !n.dataSet && n.origSHA == "" {
			n.origSHA = Digest(old) // the original content the edit and its diff start from
		}
		if string(old) == string(data) {
			return nil
		}
	}
	c.pinContent(n)
	if !n.exists || n.typ != 0 {
		n.typ, n.mode, n.modeSet, n.uid, n.gid, n.ownSet, n.link = 0, perm&PermMask, true, 0, 0, true, ""
	}
	n.exists, n.data, n.dataSet = true, slices.Clone(data), true
	c.touch(n)
	c.addOp(Op{Kind: KindWrite, Path: target.Abs(p), Summary: summary, before: old, hasOld: hadOld})
	return nil
}

// Chmod plans name's permission bits (symlinks followed).
func (c *Changes) Chmod(name string, mode fs.FileMode, summary string) error {
	n, err := c.existingNode("chmod", name)
	if err != nil {
		return err
	}
	p := n.path
	mode &= PermMask
	if n.mode == mode {
		return nil
	}
	from := modeString(n.mode)
	n.mode, n.modeSet = mode, true
	c.touch(n)
	c.addOp(Op{Kind: KindChmod, Path: target.Abs(p), Summary: summary, From: from, To: modeString(mode)})
	return nil
}

// Chown plans name's owner and group (symlinks followed).
func (c *Changes) Chown(name string, uid, gid uint32, summary string) error {
	n, err := c.existingNode("chown", name)
	if err != nil {
		return err
	}
	p := n.path
	if n.uid == uid && n.gid == gid {
		return nil
	}
	from := fmt.Sprintf("%d:%d", n.uid, n.gid)
	n.uid, n.gid, n.ownSet = uid, gid, true
	c.touch(n)
	c.addOp(Op{Kind: KindChown, Path: target.Abs(p), Summary: summary, From: from, To: fmt.Sprintf("%d:%d", uid, gid)})
	return nil
}

// Remove plans the removal of name itself (a final symlink is removed,
// not its target). Removing a missing path is a no-op; directories are
// not removed.
func (c *Changes) Remove(name string, summary string) error {
	p, err := c.resolvePath(name, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := c.lookup(p)
	if err != nil {
		return err
	}
	if !n.exists {
		return nil
	}
	if n.typ == fs.ModeDir {
		return fmt.Errorf("remove %s: is a directory", target.Abs(p))
	}
	c.pinContent(n)
	from := "file"
	if n.typ == fs.ModeSymlink {
		from = "symlink to " + n.link
	}
	n.exists, n.data, n.dataSet, n.link = false, nil, false, ""
	c.touch(n)
	c.addOp(Op{Kind: KindRemove, Path: target.Abs(p), Summary: summary, From: from})
	return nil
}

// Symlink plans name (not followed) to be a symlink to dest, replacing a
// file or link there. Missing parent directories are created.
func (c *Changes) Symlink(name, dest string, summary string) error {
	n, err := c.placeNode(name, false)
	if err != nil {
		return err
	}
	c.pinContent(n)
	p := n.path
	if n.exists && n.typ == fs.ModeSymlink && n.link == dest {
		return nil
	}
	from := ""
	switch {
	case n.exists && n.typ == fs.ModeSymlink:
		from = "symlink to " + n.link
	case n.exists:
		from = "file"
	}
	n.exists, n.typ, n.link, n.data, n.dataSet = true, fs.ModeSymlink, dest, nil, false
	n.mode, n.modeSet, n.uid, n.gid, n.ownSet = 0o777, false, 0, 0, true
	c.touch(n)
	c.addOp(Op{Kind: KindSymlink, Path: target.Abs(p), Summary: summary, From: from, To: "symlink to " + dest})
	return nil
}

// Sysctl plans a runtime kernel parameter change (live hosts only; the
// persistent setting is a file the template writes separately).
func (c *Changes) Sysctl(key, value, old, summary string) {
	c.runtime = append(c.runtime, Runtime{Kind: KindSysctl, Key: key, Value: value, Old: old, Rules: []string{c.rule}})
	c.addOp(Op{Kind: KindSysctl, Path: target.Abs(sysctl.ProcPath(key)), Summary: summary, From: old, To: value})
}

// Package plans a package manager action (live hosts only).
func (c *Changes) Package(action, name, summary string) {
	c.runtime = append(c.runtime, Runtime{Kind: KindPackage, Key: name, Action: action, Rules: []string{c.rule}})
	c.addOp(Op{Kind: KindPackage, Summary: summary, From: map[string]string{"remove": "installed", "install": "absent"}[action], To: map[string]string{"remove": "absent", "install": "installed"}[action]})
}

// Defer records a change that is reported but cannot be made on this
// target (for example installing a package into an offline tree).
func (c *Changes) Defer(summary, reason string) {
	c.addOp(Op{Kind: KindDeferred, Summary: summary, Reason: reason})
}

func (c *Changes) addOp(o Op) {
	c.version++
	o.Rule, o.Meta = c.rule, c.meta
	// One op per rule, path and kind: a rule editing a file twice shows one
	// diff from its starting content.
	if c.opIndex == nil {
		c.opIndex = map[opKey]int{}
	}
	if o.Path != "" {
		if i, ok := c.opIndex[opKey{o.Path, o.Kind}]; ok {
			prev := &c.ops[i]
			prev.To = o.To
			if o.Summary != "" && !strings.Contains(prev.Summary, o.Summary) {
				prev.Summary += "; " + o.Summary
			}
			if o.Kind == KindWrite {
				c.setDiff(prev)
			}
			c.pending = append(c.pending, i)
			return
		}
		c.opIndex[opKey{o.Path, o.Kind}] = len(c.ops)
	}
	c.pending = append(c.pending, len(c.ops))
	c.ops = append(c.ops, o)
	if o.Kind == KindWrite {
		c.setDiff(&c.ops[len(c.ops)-1])
	}
}

func (c *Changes) setDiff(o *Op) {
	n := c.nodes[target.Clean(o.Path)]
	if n == nil {
		return
	}
	from := "a" + o.Path
	if !o.hasOld {
		from = "/dev/null"
	}
	before, after := o.before, n.data
	if r := redactorFor(target.Clean(o.Path)); r != nil {
		before, after = r(before), r(after)
	}
	o.Diff = UnifiedDiff(from, "b"+o.Path, before, after)
}

// redactorFor returns how to hide secrets in a diff of p: password hashes
// must not end up in plans, reports or change tickets.
func redactorFor(p string) func([]byte) []byte {
	switch p {
	case "etc/shadow", "etc/gshadow", "etc/shadow-", "etc/gshadow-", "etc/security/opasswd":
		return redactField(1)
	}
	return nil
}

// redactField replaces colon-separated field i of every line with a
// marker that keeps what matters for review: whether the account is
// locked or has no password.
func redactField(i int) func([]byte) []byte {
	return func(b []byte) []byte {
		if len(b) == 0 {
			return b
		}
		lines := strings.SplitAfter(string(b), "\n")
		for k, l := range lines {
			body := strings.TrimSuffix(l, "\n")
			f := strings.Split(body, ":")
			if len(f) <= i {
				continue
			}
			f[i] = redactHash(f[i])
			lines[k] = strings.Join(f, ":") + l[len(body):]
		}
		return []byte(strings.Join(lines, ""))
	}
}

func redactHash(h string) string {
	lock := ""
	for strings.HasPrefix(h, "!") {
		lock += "!"
		h = h[1:]
	}
	switch h {
	case "", "*", "x":
		return lock + h
	}
	return lock + "<hash>"
}

// UnifiedDiff renders a unified diff with three lines of context.
func UnifiedDiff(fromName, toName string, a, b []byte) string {
	la, lb := diffLines(a), diffLines(b)
	if len(la)*len(lb) > maxMatcherCells {
		return largeDiff(fromName, toName, la, lb)
	}
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: la, B: lb,
		FromFile: fromName, ToFile: toName, Context: 3,
	})
	if err != nil {
		return ""
	}
	return d
}

// diffLines splits content into newline-terminated lines for the diff.
// difflib.SplitLines would add a phantom empty last line to content that
// ends in a newline, as configuration files do.
func diffLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[len(lines)-1] == "" {
		return lines[:len(lines)-1]
	}
	lines[len(lines)-1] += "\n"
	return lines
}

// Action is what applying does to one path.
type Action string

const (
	ActMkdir   Action = "mkdir"
	ActWrite   Action = "write"   // replace content (and set mode/owner when given)
	ActSymlink Action = "symlink" // replace with a symlink
	ActRemove  Action = "remove"
	ActMeta    Action = "meta" // mode and/or owner only
)

// PathChange is the final desired state of one path, for the journal.
type PathChange struct {
	Path     string // root-relative, parents symlink-free when planned
	Action   Action
	Data     []byte
	Link     string
	Mode     fs.FileMode // permission and special bits
	ModeSet  bool
	UID, GID uint32
	OwnerSet bool
	// Seen is the path as the plan saw it: the journal refuses to change
	// a path that no longer matches, so an edit made between planning and
	// applying is never overwritten.
	Seen  Seen
	Rules []string
}

// Seen is one path's state when the plan was made.
type Seen struct {
	Exists bool
	Type   fs.FileMode // type bits: 0 regular file, fs.ModeDir, fs.ModeSymlink, ...
	// SHA256 is the content digest (lower-case hex) of a regular file
	// whose content the change replaces or removes; a metadata-only change
	// leaves the content alone and records none.
	SHA256   string
	Link     string      // symlink target
	Mode     fs.FileMode // permission and special bits
	UID, GID uint32
}

// RootID identifies the directory a plan was made against (device and
// inode of the target root), so that applying and rolling back can refuse
// another tree put in its place.
type RootID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

// Root returns the identity of the planned target's root directory: the
// directory the scan read through its own descriptor.
func (c *Changes) Root() (RootID, error) {
	fi, err := c.base.Lstat("")
	if err != nil {
		return RootID{}, fmt.Errorf("target root: %w", err)
	}
	if !fi.Mode.IsDir() || fi.Ino == 0 {
		return RootID{}, fmt.Errorf("target root: not a directory with an identity")
	}
	return RootID{Dev: fi.Dev, Ino: fi.Ino}, nil
}

// Final returns the net change per path: directories to create first
// (parents before children), then writes, links and metadata, then
// removals. Paths whose final state equals the original are left out.
func (c *Changes) Final() []PathChange {
	var mk, mid, rm []PathChange
	for _, p := range slices.Sorted(maps.Keys(c.nodes)) {
		n := c.nodes[p]
		pc := PathChange{Path: p, Rules: n.rules, Mode: n.mode, UID: n.uid, GID: n.gid, Seen: seenOf(n)}
		origTyp := n.orig.Mode.Type()
		switch {
		case !n.exists && !n.origExists:
			continue
		case !n.exists:
			pc.Action = ActRemove
			rm = append(rm, pc)
			continue
		case n.typ == fs.ModeDir && !n.origExists:
			pc.Action, pc.ModeSet, pc.OwnerSet = ActMkdir, true, true
			mk = append(mk, pc)
			continue
		case n.typ == fs.ModeSymlink:
			if n.origExists && origTyp == fs.ModeSymlink && n.link == n.orig.Link {
				continue
			}
			pc.Action, pc.Link, pc.OwnerSet = ActSymlink, n.link, true
		case n.dataSet && (!n.origExists || origTyp != 0 || n.origSHA != Digest(n.data)):
			pc.Action, pc.Data = ActWrite, n.data
			pc.ModeSet = !n.origExists || origTyp != 0 || n.mode != n.orig.Mode&PermMask
			pc.OwnerSet = !n.origExists || origTyp != 0 || n.uid != n.orig.UID || n.gid != n.orig.GID
		default:
			pc.Action = ActMeta
			pc.ModeSet = n.mode != n.orig.Mode&PermMask
			pc.OwnerSet = n.uid != n.orig.UID || n.gid != n.orig.GID
			if !pc.ModeSet && !pc.OwnerSet {
				continue
			}
		}
		mid = append(mid, pc)
	}
	// mkdir order: sorted keys already put parents first.
	out := append(mk, mid...)
	// remove deepest first.
	slices.SortStableFunc(rm, func(a, b PathChange) int { return strings.Count(b.Path, "/") - strings.Count(a.Path, "/") })
	// A change that replaces or removes a file's content carries the
	// digest of the content it was planned against.
	for i := range out {
		if out[i].Action == ActMeta {
			out[i].Seen.SHA256 = ""
		}
	}
	return append(out, rm...)
}

func seenOf(n *node) Seen {
	if !n.origExists {
		return Seen{}
	}
	return Seen{Exists: true, Type: n.orig.Mode.Type(), SHA256: n.origSHA, Link: n.orig.Link, Mode: n.orig.Mode & PermMask,
		UID: n.orig.UID, GID: n.orig.GID}
}

// pinContent records the digest of n's original content, when it is a
// file, before an operation replaces or removes it: what applying
// compares so that an edit made after planning is not overwritten.
func (c *Changes) pinContent(n *node) {
	if n.origExists && n.orig.Mode.Type() == 0 && n.origSHA == "" {
		n.origSHA = c.digest(n.path)
	}
}

// Unreadable is Seen.SHA256 of a file the plan could not read: no file
// matches it, so applying leaves that path alone.
const Unreadable = "unreadable"

// digest is the SHA-256 of the base target's file p, streamed (a file
// removed with its package may be larger than configuration files are).
func (c *Changes) digest(p string) string {
	rc, err := c.base.Open(p)
	if err != nil {
		return Unreadable
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return Unreadable
	}
	return digest.Hex(digest.Of(h))
}

// Digest is the SHA-256 of b in lower-case hex (no "sha256:" prefix), as
// Seen records it and the journal names its blobs.
func Digest(b []byte) string { return digest.Hex(digest.SHA256(b)) }

// Empty reports whether nothing would be changed or deferred.
func (c *Changes) Empty() bool { return len(c.ops) == 0 }
