package changelog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
)

// An append is made crash-safe by write-ahead: before the log is touched,
// the signed entry line and the signed head that will follow it are written
// atomically to <target-key>.pending. Then the line is appended and synced,
// the head replaced atomically, and the pending file removed. Whatever
// point a crash stops this at, the files hold either the old state, or the
// old state plus a pending file that completes it: the next append (under
// the lock) finishes the interrupted one first, and Verify accepts a log
// whose end the pending file vouches for. That includes the first entry,
// whose head did not exist before. A write that fails (a full disk) before
// the line is synced is undone instead (abandon), so that an append
// reported as failed never shows up later.

// crashHook, when set (by tests), is called at each step of an append;
// a non-nil error aborts the append there as a failed write would.
var crashHook func(step string) error

// Append steps, for crashHook.
const (
	stepLocked    = "locked"
	stepPending   = "pending-written"
	stepLine      = "line-written"
	stepLineSync  = "line-synced"
	stepHead      = "head-written"
	stepCompleted = "pending-removed"
)

// appendSteps lists the steps in order.
var appendSteps = []string{stepLocked, stepPending, stepLine, stepLineSync, stepHead, stepCompleted}

func hook(step string) error {
	if crashHook == nil {
		return nil
	}
	return crashHook(step)
}

// PendingPath is the write-ahead file of an append in progress.
func (l *Log) PendingPath() string { return filepath.Join(l.Dir, target.KeyOf(l.Target)+".pending") }

// pendingAt is a parsed pending file: the entry line, its seq, the head.
type pendingAt struct {
	line, head []byte
	seq        uint64
	hash       string
	prevHash   string
}

func (l *Log) writePending(line, head []byte) error {
	var buf bytes.Buffer
	buf.Write(line)
	buf.WriteByte('\n')
	// The head envelope as one line.
	if err := json.Compact(&buf, head); err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	buf.WriteByte('\n')
	if err := fileutil.WriteAtomic(l.PendingPath(), buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("change log: write-ahead: %w", err)
	}
	return hook(stepPending)
}

// readPending reads and verifies the pending file; ok is false when there
// is none. A pending file that does not verify is damage.
func readPending(path string, keys signing.Keyring, target string) (p pendingAt, ok bool, err error) {
	b, err := fileutil.ReadBounded(path, 3*MaxEntrySize)
	if errors.Is(err, fs.ErrNotExist) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	parts := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	if len(parts) != 2 {
		return p, false, fmt.Errorf("pending append %s: malformed", path)
	}
	e, prob := checkEntry(0, parts[0], keys)
	if prob != nil {
		return p, false, fmt.Errorf("pending append %s: %v", path, prob)
	}
	h, err := parseHead(parts[1])
	if err != nil {
		return p, false, fmt.Errorf("pending append %s: head: %v", path, err)
	}
	if err := verifyHead(h, keys); err != nil {
		return p, false, fmt.Errorf("pending append %s: %v", path, err)
	}
	if h.Seq != e.Seq || h.Hash != e.Hash || h.Target != target || e.Target != target {
		return p, false, fmt.Errorf("pending append %s: entry and head disagree", path)
	}
	var head bytes.Buffer
	json.Indent(&head, parts[1], "", "  ")
	head.WriteByte('\n')
	return pendingAt{line: parts[0], head: head.Bytes(), seq: e.Seq, hash: e.Hash, prevHash: e.PrevHash}, true, nil
}

// recoverPending completes an append interrupted after its pending file
// was written. Called under the lock.
func (l *Log) recoverPending(f *os.File) error {
	p, ok, err := readPending(l.PendingPath(), l.keys(), l.Target)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if !ok {
		return nil
	}
	end, last, err := lastComplete(f)
	if err != nil {
		return err
	}
	var lastSeq uint64
	if last != nil {
		e, prob := checkEntry(0, last, l.keys())
		if prob != nil {
			return fmt.Errorf("%w: last entry: %v", ErrDamaged, prob)
		}
		lastSeq = e.Seq
		switch {
		case e.Seq == p.seq && e.Hash == p.hash: // the line is there
		case e.Seq+1 == p.seq && e.Hash == p.prevHash: // the line is not
		default:
			return fmt.Errorf("%w: pending append of entry %d does not continue the log (it ends at entry %d)", ErrDamaged, p.seq, e.Seq)
		}
	} else if p.seq != 1 || p.prevHash != GenesisHash {
		return fmt.Errorf("%w: pending append of entry %d but the log is empty", ErrDamaged, p.seq)
	}
	// A torn line after the last complete one is the interrupted write.
	if fi, err := f.Stat(); err == nil && fi.Size() > end {
		if err := f.Truncate(end); err != nil {
			return fmt.Errorf("change log: cut interrupted append: %w", err)
		}
	}
	_, err = l.complete(f, p, lastSeq)
	return err
}

// complete finishes an append whose pending file is durable: the line
// (unless the log already ends with it), the head, then the pending file
// goes. durable reports whether the entry's line is synced in the log:
// after that, a failure only delays the head, which the pending file
// vouches for until the next open writes it.
func (l *Log) complete(f *os.File, p pendingAt, lastSeq uint64) (durable bool, err error) {
	if lastSeq < p.seq {
		if _, err := f.Write(append(append([]byte{}, p.line...), '\n')); err != nil {
			return false, fmt.Errorf("change log: write: %w", err)
		}
		if err := hook(stepLine); err != nil {
			return false, fmt.Errorf("change log: write: %w", err)
		}
		if err := f.Sync(); err != nil {
			return false, fmt.Errorf("change log: sync: %w", err)
		}
		if p.seq == 1 {
			syncDir(l.Dir)
		}
		if err := hook(stepLineSync); err != nil {
			return false, fmt.Errorf("change log: sync: %w", err)
		}
	}
	if err := fileutil.WriteAtomic(l.HeadPath(), p.head, 0o600); err != nil {
		return true, fmt.Errorf("change log head: %w", err)
	}
	if err := hook(stepHead); err != nil {
		return true, fmt.Errorf("change log head: %w", err)
	}
	if err := os.Remove(l.PendingPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return true, fmt.Errorf("change log: remove write-ahead file: %w", err)
	}
	syncDir(l.Dir)
	return true, hook(stepCompleted)
}

// abandon undoes an append that failed before its line was durable: the
// log is cut back to size and the pending file removed, so the entry the
// caller was told failed never appears. If that fails too, the pending
// file stays and the next open completes the append.
func (l *Log) abandon(f *os.File, size int64) {
	if f.Truncate(size) == nil && f.Sync() == nil {
		os.Remove(l.PendingPath())
		syncDir(l.Dir)
	}
}

// lastComplete returns the offset after the last complete line of f and
// that line (nil for none).
func lastComplete(f *os.File) (int64, []byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, nil, fmt.Errorf("change log: %w", err)
	}
	size := fi.Size()
	start := max(size-2*MaxEntrySize, 0)
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
		return 0, nil, fmt.Errorf("change log: read: %w", err)
	}
	i := bytes.LastIndexByte(buf, '\n')
	if i < 0 {
		if start > 0 {
			return 0, nil, fmt.Errorf("%w: last line longer than %d bytes", ErrDamaged, MaxEntrySize)
		}
		return 0, nil, nil
	}
	body := buf[:i]
	return start + int64(i) + 1, body[bytes.LastIndexByte(body, '\n')+1:], nil
}

// verifyWithPending verifies a log whose last append was interrupted after
// its pending file was written: the pending head stands in for the head
// file when the log already ends with the pending entry; otherwise the log
// must end (a torn line aside) just before it.
func (l *Log) verifyWithPending(f *os.File, keys signing.Keyring, head Head, herr error, p pendingAt, visit func(Entry)) (Summary, error) {
	end, lastLine, err := lastComplete(f)
	if err != nil {
		return Summary{}, err
	}
	var last Entry
	if lastLine != nil {
		last, _, _ = parseEntry(lastLine) // Verify below checks it
	}
	r := io.NewSectionReader(f, 0, end)
	switch {
	case last.Seq == p.seq && last.Hash == p.hash:
		ph, err := parseHead(p.head)
		if err != nil {
			return Summary{}, &Problem{Kind: KindHead, Detail: err.Error()}
		}
		s, err := verify(r, keys, &ph, visit)
		s.Warnings = append(s.Warnings, fmt.Sprintf("the append of entry %d was interrupted before its head was written; %s vouches for it and the next append completes it", p.seq, l.PendingPath()))
		return s, err
	case last.Seq+1 == p.seq && (last.Seq > 0 && last.Hash == p.prevHash || last.Seq == 0 && p.prevHash == GenesisHash):
		var hp *Head
		if herr == nil {
			hp = &head
		} else if last.Seq > 0 {
			return Summary{}, &Problem{Kind: KindHead, Detail: fmt.Sprintf("head file %s is missing: truncation cannot be ruled out", l.HeadPath())}
		}
		s, err := verify(r, keys, hp, visit)
		s.Warnings = append(s.Warnings, fmt.Sprintf("the append of entry %d was interrupted before its line was written; the next append completes it from %s", p.seq, l.PendingPath()))
		return s, err
	}
	return Summary{}, &Problem{Kind: KindHead, Detail: fmt.Sprintf("pending append %s (entry %d) does not continue the log, which ends at entry %d", l.PendingPath(), p.seq, last.Seq)}
}
