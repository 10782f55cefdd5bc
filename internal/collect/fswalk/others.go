package fswalk

import (
	"io/fs"
	"path"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// Other systems' trees: container and machine stores, and any directory
// below the target's root that holds a root filesystem of its own (a
// debootstrap or mock chroot, an unpacked image, a build sysroot). Their
// files belong to those systems — a container's setuid sudo is its own
// business, and its owners are numbers from its own passwd — so the
// filesystem-wide facts leave them out by default and list them instead.

// Store is a place where other systems' trees are kept.
type Store struct {
	// Path is root-relative; a "*" component matches any one name.
	Path   string
	Reason string
}

// Stores are the known places of other systems' trees. Disk images
// (/var/lib/libvirt/images) are files, not trees, and their modes are
// the host's concern, so they are not listed.
var Stores = []Store{
	{"var/lib/docker", "container store: Docker"},
	{"var/lib/containerd", "container store: containerd"},
	{"var/lib/containers/storage", "container store: Podman, Buildah, CRI-O"},
	{"var/lib/rancher/k3s/agent/containerd", "container store: k3s"},
	{"var/lib/rancher/rke2/agent/containerd", "container store: RKE2"},
	{"var/lib/buildkit", "build store: BuildKit"},
	{"var/lib/lxc/*/rootfs", "container root filesystem: LXC"},
	{"var/lib/lxd", "container and VM store: LXD"},
	{"var/lib/incus", "container and VM store: Incus"},
	{"var/lib/machines", "machine store: systemd-nspawn, machinectl"},
	{"var/lib/flatpak", "application runtimes: Flatpak"},
	{"var/snap", "snap data and stores: LXD as a snap"},
	{"snap", "snap packages: read-only squashfs images"},
	// The booted deployment is the target's "/" itself; the others and the
	// object store (files hard-linked into every deployment) are not.
	{"ostree", "OSTree repository and deployments"},
	{"sysroot/ostree", "OSTree repository and deployments"},
	{"root/.local/share/containers", "container store: rootless Podman"},
	{"home/*/.local/share/containers", "container store: rootless Podman"},
	{"home/*/.local/share/docker", "container store: rootless Docker"},
	{"home/*/.local/share/lxc/*/rootfs", "container root filesystem: unprivileged LXC"},
	{"home/*/.local/share/flatpak", "application runtimes: Flatpak, per user"},
}

// Tree is another system's tree the walk met.
type Tree struct {
	Path   string `json:"path"` // absolute within the target
	Reason string `json:"reason"`
}

func (t Tree) key() string { return t.Path }

// TreeList is a bounded, sorted list of trees with the exact total.
type TreeList struct {
	Total int    `json:"total"`
	Trees []Tree `json:"trees"`
}

// OwnRoot says why the directory probed holds a root filesystem of its
// own, or "" when it does not: it lists both an etc and a usr directory,
// has an os-release (etc/os-release or usr/lib/os-release, a symlink
// counts) and a usr/bin directory. Only directories listing both etc and
// usr cost a system call.
func OwnRoot(p target.DirProbe) string {
	if !probeDir(p, "etc") || !probeDir(p, "usr") {
		return ""
	}
	if bin, err := p.Lstat("usr/bin"); err != nil || !bin.Mode.IsDir() {
		return ""
	}
	for _, rel := range []string{"etc/os-release", "usr/lib/os-release"} {
		if _, err := p.Lstat(rel); err == nil {
			return "own root filesystem: " + rel + " and usr/bin"
		}
	}
	return ""
}

// probeDir reports whether the listing has name as a directory, or of a
// type the filesystem does not tell.
func probeDir(p target.DirProbe, name string) bool {
	typ, ok := p.Has(name)
	return ok && (typ == fs.ModeDir || typ == fs.ModeIrregular)
}

// storeGlob is a Store path with wildcards, matched only at its depth
// and below its literal prefix.
type storeGlob struct {
	Store
	prefix string
	depth  int
}

// pruner decides, per directory of the walk, whether it is another
// system's tree, and records the ones met.
type pruner struct {
	exact map[string]string
	globs []storeGlob
	enter bool
	trees bounded[Tree]
}

func newPruner(enter bool) *pruner {
	p := &pruner{exact: map[string]string{}, enter: enter, trees: bounded[Tree]{max: MaxTreesKept}}
	for _, s := range Stores {
		i := strings.IndexByte(s.Path, '*')
		if i < 0 {
			p.exact[s.Path] = s.Reason
			continue
		}
		p.globs = append(p.globs, storeGlob{Store: s, prefix: s.Path[:i], depth: strings.Count(s.Path, "/")})
	}
	return p
}

// reason classifies dir: a known store, or a root of its own.
func (p *pruner) reason(dir string, probe target.DirProbe) string {
	if r, ok := p.exact[dir]; ok {
		return r
	}
	for _, g := range p.globs {
		if strings.HasPrefix(dir, g.prefix) && strings.Count(dir, "/") == g.depth {
			if ok, _ := path.Match(g.Path, dir); ok {
				return g.Reason
			}
		}
	}
	return OwnRoot(probe)
}

// prune is the walk's Prune: it records every tree met and keeps the walk
// out of it unless told to enter.
func (p *pruner) prune(dir string, probe target.DirProbe) string {
	r := p.reason(dir, probe)
	if r == "" {
		return ""
	}
	abs := target.Abs(dir)
	p.trees.add(abs, func() Tree { return Tree{Path: abs, Reason: r} })
	if p.enter {
		return ""
	}
	return r
}

func (p *pruner) list() TreeList {
	total, trees := p.trees.list()
	return TreeList{Total: total, Trees: trees}
}
