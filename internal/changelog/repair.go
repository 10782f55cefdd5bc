package changelog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// RepairDetails is the Details object of a log-repair entry: what was
// wrong and what was cut off.
type RepairDetails struct {
	Problem      string   `json:"problem"`
	KeptEntries  int      `json:"kept_entries"`
	DroppedLines int      `json:"dropped_lines"`
	DroppedBytes int64    `json:"dropped_bytes"`
	PreviousHead *Head    `json:"previous_head,omitempty"`
	SavedAs      []string `json:"saved_as,omitempty"`
}

// RepairResult says what Repair did. Intact is true when nothing needed
// repair (Entry is then zero).
type RepairResult struct {
	Intact  bool
	Details RepairDetails
	Entry   Entry
}

// Repair makes a log that cannot be recovered appendable again: it keeps
// the longest prefix of entries that verify and chain, saves the log, head
// and write-ahead file as they were (<name>.damaged-<time>), cuts the log
// to that prefix, signs a head for it and appends a log-repair entry (e
// gives reason, change reference and actor) saying what was lost. Nothing
// is repaired silently: Verify shows the repair entry, and the saved files
// keep what was cut. An intact log is left alone.
func (l *Log) Repair(ctx context.Context, e Entry) (RepairResult, error) {
	var res RepairResult
	if l.Signer == nil {
		return res, errors.New("change log: no signing key")
	}
	if l.RequireChangeRef && e.ChangeRef == "" {
		return res, ErrChangeRefRequired
	}
	unlock, err := fileutil.Lock(ctx, l.lockPath())
	if err != nil {
		return res, fmt.Errorf("change log: lock: %w", err)
	}
	defer unlock()
	keys := l.keys()
	_, verr := l.Verify(keys)
	var p *Problem
	switch {
	case verr == nil:
		res.Intact = true
		return res, nil
	case !errors.As(verr, &p):
		return res, verr
	}
	res.Details.Problem = p.Error()
	if h, err := ReadHead(l.HeadPath()); err == nil {
		h.Sig, h.env = "", nil
		res.Details.PreviousHead = &h
	}

	f, err := os.OpenFile(l.Path(), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return res, fmt.Errorf("change log: %w", err)
	}
	defer f.Close()
	end, kept, last, err := l.validPrefix(f)
	if err != nil {
		return res, err
	}
	fi, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("change log: %w", err)
	}
	res.Details.KeptEntries = kept
	res.Details.DroppedBytes = fi.Size() - end
	if res.Details.DroppedLines, err = countLines(io.NewSectionReader(f, end, fi.Size()-end)); err != nil {
		return res, err
	}

	stamp := "damaged-" + l.now().UTC().Format("20060102T150405.000000000Z")
	for _, path := range []string{l.Path(), l.HeadPath(), l.PendingPath()} {
		saved, err := saveCopy(path, path+"."+stamp)
		if err != nil {
			return res, fmt.Errorf("change log: keep a copy of %s: %w", path, err)
		}
		if saved != "" {
			res.Details.SavedAs = append(res.Details.SavedAs, saved)
		}
	}
	if err := os.Remove(l.PendingPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("change log: %w", err)
	}
	if err := f.Truncate(end); err != nil {
		return res, fmt.Errorf("change log: cut damaged entries: %w", err)
	}
	if err := f.Sync(); err != nil {
		return res, fmt.Errorf("change log: %w", err)
	}
	if kept == 0 {
		if err := os.Remove(l.HeadPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("change log head: %w", err)
		}
	} else {
		hb, err := encodeHead(&Head{Target: l.Target, Seq: last.Seq, Hash: last.Hash, Time: l.now().UTC().Format(time.RFC3339Nano)}, l.Signer)
		if err != nil {
			return res, fmt.Errorf("change log head: %w", err)
		}
		if err := fileutil.WriteAtomic(l.HeadPath(), hb, 0o600); err != nil {
			return res, fmt.Errorf("change log head: %w", err)
		}
	}
	syncDir(l.Dir)

	e.Action = ActionRepair
	if e.Details, err = json.Marshal(res.Details); err != nil {
		return res, err
	}
	res.Entry, err = l.appendLocked(f, last, e, nil)
	return res, err
}

// validPrefix returns the end offset, count and last entry of the longest
// run of leading entries that verify with the trusted keys, are numbered
// 1, 2, … and chain, and belong to the log's target.
func (l *Log) validPrefix(f *os.File) (end int64, n int, last Entry, err error) {
	keys := l.keys()
	prev := GenesisHash
	var off int64
	err = scanLines(io.NewSectionReader(f, 0, 1<<62), func(_ int, line []byte, final bool) error {
		if final {
			return errStop
		}
		e, p := checkEntry(0, line, keys)
		if p != nil || e.Seq != last.Seq+1 || e.PrevHash != prev || e.Target != l.Target ||
			e.Format == FormatLegacy && last.Format == FormatDSSE {
			return errStop
		}
		off += int64(len(line)) + 1
		end, n, last, prev = off, n+1, e, e.Hash
		return nil
	})
	if errors.Is(err, errStop) || errors.Is(err, errLineTooLong) {
		err = nil
	}
	return end, n, last, err
}

var errStop = errors.New("stop")

func countLines(r io.Reader) (int, error) {
	n := 0
	buf := make([]byte, 64<<10)
	partial := false
	for {
		k, err := r.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				n++
			}
		}
		if k > 0 {
			partial = buf[k-1] != '\n'
		}
		if err == io.EOF {
			if partial {
				n++
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// saveCopy copies src to dst (0600, synced); "" when src does not exist.
func saveCopy(src, dst string) (string, error) {
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err = io.Copy(out, in); err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return "", err
	}
	return dst, nil
}
