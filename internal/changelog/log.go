package changelog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/target"
)

// ErrChangeRefRequired is returned by Append when the policy demands a
// change reference and the entry has none (a usage error for the CLI).
var ErrChangeRefRequired = errors.New("a change reference (--change-ref) is required by policy")

// ErrDamaged is returned by Append when the log does not match its head or
// its last entry is damaged: appending would hide tampering. Run Verify.
var ErrDamaged = errors.New("change log is damaged or tampered with; run \"cradle log verify\"")

// Log is the change log of one target.
type Log struct {
	// Dir holds the logs ($CRADLE_HOME/logs).
	Dir string
	// Target is the target identity (target.Spec.ID).
	Target string
	// Signer signs appended entries and the head; needed by Append only.
	Signer *signing.Key
	// Keys are trusted to have signed the current head (Append refuses to
	// chain onto an unverifiable head). The signer's key is always trusted.
	Keys signing.Keyring
	// RequireChangeRef rejects entries without ChangeRef.
	RequireChangeRef bool
	// Now and User default to the clock and the process's OS user.
	Now  func() time.Time
	User func() OSUser
}

// Path is the log file.
func (l *Log) Path() string { return filepath.Join(l.Dir, target.KeyOf(l.Target)+".jsonl") }

// HeadPath is the signed head file.
func (l *Log) HeadPath() string { return filepath.Join(l.Dir, target.KeyOf(l.Target)+".head") }

func (l *Log) lockPath() string { return filepath.Join(l.Dir, target.KeyOf(l.Target)+".lock") }

// Head records the last entry of a log, signed, so that removing entries
// from the end is detected.
type Head struct {
	Target string `json:"target"`
	Seq    uint64 `json:"seq"`
	Hash   string `json:"hash"`
	Time   string `json:"time"`
	KeyID  string `json:"key_id"`
	Sig    string `json:"sig"`
	// env is the envelope of a head in the envelope format (nil: legacy).
	env *envelope.Envelope
}

// ReadHead reads the head file; a missing one returns an error matching
// fs.ErrNotExist.
func ReadHead(path string) (Head, error) {
	var h Head
	f, err := os.Open(path)
	if err != nil {
		return h, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return h, fmt.Errorf("read %s: %w", path, err)
	}
	if h, err = parseHead(b); err != nil {
		return h, fmt.Errorf("head %s: malformed: %v", path, err)
	}
	return h, nil
}

func (l *Log) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// CurrentUser describes the process's OS account.
func CurrentUser() OSUser {
	u := OSUser{UID: strconv.Itoa(os.Getuid())}
	if cu, err := user.Current(); err == nil {
		u.UID, u.Name = cu.Uid, cu.Username
	}
	if u.UID == "0" {
		u.SudoUser = os.Getenv("SUDO_USER")
	}
	return u
}

// Append records e: Seq, Time, Actor.OSUser, Target, PrevHash, Hash, KeyID
// and Sig are filled in; the caller sets Action, Rules, ChangeRef, Reason,
// Before/After, Details and Actor.Actor. Under an exclusive lock the
// signed entry and head go to the write-ahead file, the line is written
// with O_APPEND and fsynced, the head replaced atomically and the
// write-ahead file removed (see pending.go). An error means the entry is
// not in the log; once its line is durable, Append succeeds even if the
// head could not be written yet. It returns the entry as written.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	return l.AppendCosigned(ctx, e)
}

// AppendCosigned is Append with further signatures on the entry's
// envelope, by keys that vouch for it (the old key on a key rotation).
func (l *Log) AppendCosigned(ctx context.Context, e Entry, cosigners ...*signing.Key) (Entry, error) {
	if l.Signer == nil {
		return Entry{}, errors.New("change log: no signing key")
	}
	if !ValidAction(e.Action) {
		return Entry{}, fmt.Errorf("change log: unknown action %q (known: %v)", e.Action, Actions)
	}
	if l.RequireChangeRef && e.ChangeRef == "" {
		return Entry{}, ErrChangeRefRequired
	}
	if len(e.Details) > 0 {
		var obj map[string]any
		if err := json.Unmarshal(e.Details, &obj); err != nil || obj == nil {
			return Entry{}, errors.New("change log: details must be a JSON object")
		}
	}
	f, last, unlock, err := l.open(ctx)
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	defer f.Close()
	return l.appendLocked(f, last, e, cosigners)
}

// appendLocked appends e after last to the open log f; the caller holds
// the lock.
func (l *Log) appendLocked(f *os.File, last Entry, e Entry, cosigners []*signing.Key) (Entry, error) {
	if err := hook(stepLocked); err != nil {
		return Entry{}, err
	}
	u := OSUser{}
	if l.User != nil {
		u = l.User()
	} else {
		u = CurrentUser()
	}
	e.Seq = last.Seq + 1
	e.Time = l.now().UTC().Format(time.RFC3339Nano)
	e.Actor.OSUser = u
	e.Target = l.Target
	e.PrevHash = last.Hash
	if e.Seq == 1 {
		e.PrevHash = GenesisHash
	}
	line, err := encodeEntry(&e, l.Signer, cosigners)
	if err != nil {
		return Entry{}, fmt.Errorf("change log: encode entry: %w", err)
	}
	if len(line)+1 > MaxEntrySize {
		return Entry{}, fmt.Errorf("change log: entry is %d bytes, limit %d", len(line)+1, MaxEntrySize)
	}
	hb, err := encodeHead(&Head{Target: l.Target, Seq: e.Seq, Hash: e.Hash, Time: e.Time}, l.Signer)
	if err != nil {
		return Entry{}, fmt.Errorf("change log head: %w", err)
	}
	// Write-ahead: the signed entry and head are made durable in the
	// pending file first, so a crash at any later point is completed by
	// the next open (and accepted by Verify meanwhile).
	fi, err := f.Stat()
	if err != nil {
		return Entry{}, fmt.Errorf("change log: %w", err)
	}
	if err := l.writePending(line, hb); err != nil {
		l.abandon(f, fi.Size())
		return Entry{}, err
	}
	if durable, err := l.complete(f, pendingAt{line: line, head: hb, seq: e.Seq}, last.Seq); err != nil && !durable {
		l.abandon(f, fi.Size())
		return Entry{}, err
	}
	// Once the line is durable a failure only delays the head, which the
	// next open writes from the pending file: reporting it would make the
	// caller undo a change the log records.
	return e, nil
}

// open locks the log and returns it opened for appending with its last
// entry, checked against the head. The caller closes f and unlocks.
func (l *Log) open(ctx context.Context) (f *os.File, last Entry, unlock func(), err error) {
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return nil, Entry{}, nil, fmt.Errorf("change log: %w", err)
	}
	unlock, err = fileutil.Lock(ctx, l.lockPath())
	if err != nil {
		return nil, Entry{}, nil, fmt.Errorf("change log: lock: %w", err)
	}
	f, err = os.OpenFile(l.Path(), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		unlock()
		return nil, Entry{}, nil, fmt.Errorf("change log: %w", err)
	}
	if err = l.recoverPending(f); err == nil {
		last, err = l.tail(f)
	}
	if err != nil {
		f.Close()
		unlock()
		return nil, Entry{}, nil, err
	}
	return f, last, unlock, nil
}

// CheckAppendable reports whether an Append would be accepted now: a
// signing key is set, the lock can be taken, an interrupted append is
// completed, the end of the log verifies against its head, and the
// directory takes a synced write. Commands that change a target call it
// before changing anything, so that no change is made that cannot be
// logged.
func (l *Log) CheckAppendable(ctx context.Context) error {
	if l.Signer == nil {
		return errors.New("change log: no signing key")
	}
	f, _, unlock, err := l.open(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	f.Close()
	// A read-only or full filesystem shows on a synced write.
	probe, err := os.CreateTemp(l.Dir, ".append-check-*")
	if err != nil {
		return fmt.Errorf("change log: cannot write to %s: %w", l.Dir, err)
	}
	defer os.Remove(probe.Name())
	_, err = probe.Write(make([]byte, 8<<10))
	if err == nil {
		err = probe.Sync()
	}
	if cerr := probe.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("change log: cannot write to %s: %w", l.Dir, err)
	}
	return nil
}

// tail returns the last entry (Seq 0 for an empty log) after checking that
// it is intact and agrees with the signed head. A partial last line left by
// an interrupted append is cut off when the head confirms the entry before
// it (that append never completed).
func (l *Log) tail(f *os.File) (Entry, error) {
	fi, err := f.Stat()
	if err != nil {
		return Entry{}, fmt.Errorf("change log: %w", err)
	}
	size := fi.Size()
	start := max(size-2*MaxEntrySize, 0)
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
		return Entry{}, fmt.Errorf("change log: read: %w", err)
	}
	complete := buf
	partial := false
	if i := bytes.LastIndexByte(buf, '\n'); i+1 < len(buf) {
		complete, partial = buf[:i+1], true
	}
	var last Entry
	if body := bytes.TrimSuffix(complete, []byte("\n")); len(body) > 0 {
		ln := body[bytes.LastIndexByte(body, '\n')+1:]
		var p *Problem
		if last, p = checkEntry(0, ln, l.keys()); p != nil {
			return Entry{}, fmt.Errorf("%w: last entry: %v", ErrDamaged, p)
		}
	} else if start > 0 {
		return Entry{}, fmt.Errorf("%w: last line longer than %d bytes", ErrDamaged, MaxEntrySize)
	}

	head, err := ReadHead(l.HeadPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Only a first append interrupted before its head write leaves
		// no head; anything else lost its head.
		if last.Seq != 0 {
			return Entry{}, fmt.Errorf("%w: head file %s is missing", ErrDamaged, l.HeadPath())
		}
	case err != nil:
		return Entry{}, fmt.Errorf("%w: %v", ErrDamaged, err)
	default:
		if err := verifyHead(head, l.keys()); err != nil {
			return Entry{}, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		if head.Target != l.Target {
			return Entry{}, fmt.Errorf("%w: head belongs to target %q", ErrDamaged, head.Target)
		}
		// The head matches the last entry, or is one behind it when an
		// append stopped between its line and its head write; the new
		// head then covers that signed entry too.
		lag := head.Seq+1 == last.Seq && head.Hash == last.PrevHash
		if !lag && (head.Seq != last.Seq || head.Hash != last.Hash) {
			return Entry{}, fmt.Errorf("%w: head records entry %d, log ends at entry %d", ErrDamaged, head.Seq, last.Seq)
		}
	}
	if partial {
		if err := f.Truncate(start + int64(len(complete))); err != nil {
			return Entry{}, fmt.Errorf("change log: cut interrupted append: %w", err)
		}
		if err := f.Sync(); err != nil {
			return Entry{}, fmt.Errorf("change log: %w", err)
		}
	}
	return last, nil
}

// keys are the keys trusted for the head and the last entry.
func (l *Log) keys() signing.Keyring {
	keys := signing.Keyring{}
	for id, k := range l.Keys {
		keys[id] = k
	}
	keys.Add(l.Signer.Public())
	return keys
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort, not supported everywhere
		d.Close()
	}
}

// Entries reads all entries of r for display, stopping with an error at the
// first line that does not parse. A last line without a newline is an
// append that never completed and is skipped. It does not verify; use
// Verify.
func Entries(r io.Reader) ([]Entry, error) {
	var out []Entry
	err := scanLines(r, func(n int, line []byte, final bool) error {
		if final {
			return nil
		}
		e, _, err := parseEntry(line)
		if err != nil {
			return fmt.Errorf("line %d: malformed entry: %v", n, err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// errLineTooLong reports a line over MaxEntrySize.
var errLineTooLong = fmt.Errorf("line longer than %d bytes", MaxEntrySize)

// scanLines calls fn for each line (without the newline), with 1-based line
// numbers; final is true for a last line without a trailing newline.
func scanLines(r io.Reader, fn func(n int, line []byte, final bool) error) error {
	br := newLineReader(r)
	for n := 1; ; n++ {
		line, complete, err := br.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return lineErr{n, err}
		}
		if err := fn(n, line, !complete); err != nil {
			return err
		}
		if !complete {
			return nil
		}
	}
}

type lineErr struct {
	n   int
	err error
}

func (e lineErr) Error() string { return fmt.Sprintf("line %d: %v", e.n, e.err) }
func (e lineErr) Unwrap() error { return e.err }
