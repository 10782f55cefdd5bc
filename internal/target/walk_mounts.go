package target

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// Mount is one line of /proc/self/mountinfo that matters to a walk.
type Mount struct {
	Dev    uint64 // st_dev of files on the mount (makedev(major, minor))
	Point  string // mount point, unescaped
	FSType string // filesystem type, "ext4", "fuse.sshfs", ...
}

// ParseMountInfo parses proc_pid_mountinfo(5) content. Malformed lines are
// skipped.
func ParseMountInfo(b []byte) []Mount {
	var out []Mount
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// id parent major:minor root point options [optional...] - fstype source super
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(f) {
			continue
		}
		maj, min, ok := strings.Cut(f[2], ":")
		if !ok {
			continue
		}
		ma, err1 := strconv.ParseUint(maj, 10, 32)
		mi, err2 := strconv.ParseUint(min, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, Mount{Dev: mkdev(uint32(ma), uint32(mi)), Point: unescapeOctal(f[4]), FSType: f[sep+1]})
	}
	return out
}

// mkdev encodes a device number the way Linux's st_dev does (glibc
// gnu_dev_makedev).
func mkdev(major, minor uint32) uint64 {
	ma, mi := uint64(major), uint64(minor)
	return (ma&0xfffff000)<<32 | (ma&0x00000fff)<<8 | (mi&0xffffff00)<<12 | mi&0x000000ff
}

// unescapeOctal undoes the \ooo escaping mountinfo applies to spaces,
// tabs, newlines and backslashes in paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			v, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return s[0] <= '3'
}

// NonLocalFS reports whether a filesystem type is one a filesystem-wide
// walk with LocalOnly skips: kernel pseudo filesystems (their "files" are
// runtime state, not installed software), volatile memory filesystems
// (tmpfs: the contents vanish on reboot and belong to running services),
// network filesystems (slow, and their files belong to another system's
// policy) and FUSE (user-space, possibly remote or hanging). overlay,
// squashfs and other block- or image-backed filesystems are local: a
// container's root filesystem is usually an overlay.
func NonLocalFS(fstype string) bool {
	if strings.HasPrefix(fstype, "fuse.") || strings.HasPrefix(fstype, "cgroup") {
		return true
	}
	switch fstype {
	case "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "mqueue", "hugetlbfs",
		"securityfs", "debugfs", "tracefs", "pstore", "bpf", "configfs", "fusectl",
		"binfmt_misc", "autofs", "efivarfs", "selinuxfs", "nsfs", "rpc_pipefs",
		"nfsd", "fuse", "fuseblk",
		"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "virtiofs", "ceph", "glusterfs",
		"afs", "lustre", "gpfs", "davfs", "sshfs", "ncpfs", "coda":
		return true
	}
	return false
}
