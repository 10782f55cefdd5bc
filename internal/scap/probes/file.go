package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/cradle-cra/cradle/internal/scap/oval"
	"github.com/cradle-cra/cradle/internal/target"
)

// fileProbe is the unix file_object: metadata of the files an object
// designates, without following a final symlink (as lstat does).
type fileProbe struct{ fc *fileCache }

func (p fileProbe) Collect(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	var items []oval.Item
	// A walk of / yields hundreds of thousands of files: the object's
	// filters run on one reused item, and only the kept ones are copied.
	scratch := map[string][]oval.Value{}
	src := fileSource{t: env.Target}
	err := p.fc.resolveFiles(ctx, env.Target, obj, func(r fileRef) error {
		src.reset(r)
		if r.info == nil {
			if err := src.stat(); err != nil || src.gone {
				return err
			}
		}
		if obj.KeepFrom != nil {
			// Fields computed as the filters' states ask for them.
			ok, err := obj.KeepFrom(&src)
			if err == nil {
				err = src.err
			}
			if err != nil || !ok {
				return err
			}
		}
		if err := src.stat(); err != nil {
			return err
		}
		if src.gone {
			return nil
		}
		if obj.KeepFrom == nil && obj.Keep != nil {
			it := oval.Item{Fields: fileFields(scratch, r, src.fi)}
			if ok, err := keep(obj, it); err != nil || !ok {
				return err
			}
		}
		items = append(items, fileItem(r, src.fi))
		return nil
	})
	if err != nil {
		return oval.Collected{}, err
	}
	return collected(items), nil
}

// fileSource is one file's item fields, computed on demand.
type fileSource struct {
	t target.Target
	r fileRef
	// fi is the file's lstat once stated is set; before, what a walk
	// kept of it (type, mode, owner).
	fi     target.FileInfo
	stated bool
	gone   bool  // the file vanished before it could be stated
	err    error // a stat error met while a filter asked for a field
}

func (s *fileSource) reset(r fileRef) {
	s.r, s.stated, s.gone, s.err = r, false, false, nil
	s.fi = target.FileInfo{}
	if r.info != nil {
		s.fi = r.info.fileInfo()
	}
}

func (s *fileSource) Field(name string) []oval.Value {
	switch name {
	case "size", "m_time", "c_time":
		if err := s.stat(); err != nil && s.err == nil {
			s.err = err
		}
	}
	return fileField(name, s.r, s.fi)
}

// stat replaces fi with an lstat of the file; a file that no longer
// exists is marked gone.
func (s *fileSource) stat() error {
	if s.stated || s.gone {
		return nil
	}
	fi, err := s.t.Lstat(s.r.abs())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			s.gone = true
			return nil
		}
		return fmt.Errorf("stat %s: %w", s.r.abs(), err)
	}
	s.fi, s.stated = fi, true
	return nil
}

// fileType names a file type as OVAL's unix file_item does.
func fileType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		return "character special"
	case m&fs.ModeDevice != 0:
		return "block special"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return ""
}

// typeValues holds one shared read-only value per file type name.
var typeValues = func() map[string][]oval.Value {
	m := map[string][]oval.Value{}
	for _, t := range []string{"regular", "directory", "symbolic link", "character special", "block special", "fifo", "socket", ""} {
		m[t] = str(t)[:1:1]
	}
	return m
}()

func typeValue(m fs.FileMode) []oval.Value { return typeValues[fileType(m)] }

// Shared read-only boolean values (full capacity, so an append copies).
var (
	vTrue  = boolv(true)[:1:1]
	vFalse = boolv(false)[:1:1]
)

func bit(b bool) []oval.Value {
	if b {
		return vTrue
	}
	return vFalse
}

// fileFields fills f with a unix file_item's fields and returns it.
func fileFields(f map[string][]oval.Value, r fileRef, fi target.FileInfo) map[string][]oval.Value {
	m := fi.Mode
	f["filepath"] = str(r.abs())
	f["path"] = str(r.Dir)
	f["type"] = str(fileType(m))
	f["user_id"] = intv(int64(fi.UID))
	f["group_id"] = intv(int64(fi.GID))
	f["size"] = intv(fi.Size)
	f["m_time"] = intv(fi.ModTime.Unix())
	f["suid"] = bit(m&fs.ModeSetuid != 0)
	f["sgid"] = bit(m&fs.ModeSetgid != 0)
	f["sticky"] = bit(m&fs.ModeSticky != 0)
	f["uread"] = bit(m&0o400 != 0)
	f["uwrite"] = bit(m&0o200 != 0)
	f["uexec"] = bit(m&0o100 != 0)
	f["gread"] = bit(m&0o040 != 0)
	f["gwrite"] = bit(m&0o020 != 0)
	f["gexec"] = bit(m&0o010 != 0)
	f["oread"] = bit(m&0o004 != 0)
	f["owrite"] = bit(m&0o002 != 0)
	f["oexec"] = bit(m&0o001 != 0)
	delete(f, "filename")
	if r.Name != "" {
		f["filename"] = str(r.Name)
	}
	delete(f, "c_time")
	if !fi.ChangeTime.IsZero() {
		f["c_time"] = intv(fi.ChangeTime.Unix())
	}
	return f
}

// fileField is one field of fileFields, or nil when the item has none.
func fileField(name string, r fileRef, fi target.FileInfo) []oval.Value {
	m := fi.Mode
	switch name {
	case "filepath":
		return str(r.abs())
	case "path":
		return str(r.Dir)
	case "filename":
		if r.Name == "" {
			return nil
		}
		return str(r.Name)
	case "type":
		return typeValue(m)
	case "user_id":
		return intv(int64(fi.UID))
	case "group_id":
		return intv(int64(fi.GID))
	case "size":
		return intv(fi.Size)
	case "m_time":
		return intv(fi.ModTime.Unix())
	case "c_time":
		if fi.ChangeTime.IsZero() {
			return nil
		}
		return intv(fi.ChangeTime.Unix())
	}
	if bitv, ok := modeBits[name]; ok {
		switch bitv {
		case 0o4000:
			return bit(m&fs.ModeSetuid != 0)
		case 0o2000:
			return bit(m&fs.ModeSetgid != 0)
		case 0o1000:
			return bit(m&fs.ModeSticky != 0)
		}
		return bit(uint32(m.Perm())&bitv != 0)
	}
	return nil
}

// modeBits maps the mode-bit fields to their unix mode bit.
var modeBits = map[string]uint32{"suid": 0o4000, "sgid": 0o2000, "sticky": 0o1000,
	"uread": 0o400, "uwrite": 0o200, "uexec": 0o100, "gread": 0o040, "gwrite": 0o020,
	"gexec": 0o010, "oread": 0o004, "owrite": 0o002, "oexec": 0o001}

func fileItem(r fileRef, fi target.FileInfo) oval.Item {
	return oval.Item{Fields: fileFields(map[string][]oval.Value{}, r, fi)}
}
