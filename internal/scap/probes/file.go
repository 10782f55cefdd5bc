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
	refs, err := p.fc.resolveFiles(ctx, env.Target, obj)
	if err != nil {
		return oval.Collected{}, err
	}
	var items []oval.Item
	for _, r := range refs {
		if err := ctx.Err(); err != nil {
			return oval.Collected{}, err
		}
		fi, err := env.Target.Lstat(r.abs())
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return oval.Collected{}, fmt.Errorf("stat %s: %w", r.abs(), err)
		}
		items = append(items, fileItem(r, fi))
	}
	return collected(items), nil
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

func fileItem(r fileRef, fi target.FileInfo) oval.Item {
	m := fi.Mode
	f := map[string][]oval.Value{
		"filepath": str(r.abs()),
		"path":     str(r.Dir),
		"type":     str(fileType(m)),
		"user_id":  intv(int64(fi.UID)),
		"group_id": intv(int64(fi.GID)),
		"size":     intv(fi.Size),
		"m_time":   intv(fi.ModTime.Unix()),
		"suid":     boolv(m&fs.ModeSetuid != 0),
		"sgid":     boolv(m&fs.ModeSetgid != 0),
		"sticky":   boolv(m&fs.ModeSticky != 0),
		"uread":    boolv(m&0o400 != 0),
		"uwrite":   boolv(m&0o200 != 0),
		"uexec":    boolv(m&0o100 != 0),
		"gread":    boolv(m&0o040 != 0),
		"gwrite":   boolv(m&0o020 != 0),
		"gexec":    boolv(m&0o010 != 0),
		"oread":    boolv(m&0o004 != 0),
		"owrite":   boolv(m&0o002 != 0),
		"oexec":    boolv(m&0o001 != 0),
	}
	if r.Name != "" {
		f["filename"] = str(r.Name)
	}
	if !fi.ChangeTime.IsZero() {
		f["c_time"] = intv(fi.ChangeTime.Unix())
	}
	return oval.Item{Fields: f}
}
