// Package sdjournal reads systemd journal files natively and within
// bounds: the header, the entry arrays that index entries in time order,
// entry and data objects, with data compressed by XZ, LZ4 or ZSTD, in the
// regular and the compact format (systemd's JOURNAL_FILE_FORMAT). It reads
// newest first and stops at the start of a time window, and it finds the
// entries of a field value (SYSLOG_IDENTIFIER=sshd) through the file's own
// field and data index, so a large journal costs little to search.
//
// Journal files in a target are hostile input: every offset, size and
// chain is checked, a file that lies gives an error or a skipped entry
// (counted), never a panic or an unbounded loop, and bytes read, objects
// visited, entries returned and the size of a field (after decompression)
// are bounded by Limits.
package sdjournal

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Object types and flags of the journal file format.
const (
	objData       = 1
	objField      = 2
	objEntry      = 3
	objFieldHash  = 5
	objEntryArray = 6

	flagXZ   = 1 << 0
	flagLZ4  = 1 << 1
	flagZSTD = 1 << 2

	incompatXZ        = 1 << 0
	incompatLZ4       = 1 << 1
	incompatKeyedHash = 1 << 2
	incompatZSTD      = 1 << 3
	incompatCompact   = 1 << 4
	incompatKnown     = incompatXZ | incompatLZ4 | incompatKeyedHash | incompatZSTD | incompatCompact

	// headerMinSize covers every field up to tail_entry_monotonic, which
	// all versions of the format have.
	headerMinSize = 208
	objHeaderSize = 16
	// Offsets of payloads and item arrays within objects.
	dataPayload        = 64
	dataPayloadCompact = 72
	fieldPayload       = 40
	entryItems         = 64
	entryArrayItems    = 24
	hashItemSize       = 16
)

// States of a journal file.
const (
	StateOffline  = 0
	StateOnline   = 1 // being written, or left by a writer that died
	StateArchived = 2
)

var signature = []byte("LPKSHHRH")

// ErrCorrupt marks structural damage: an offset out of range or
// misaligned, an object of the wrong type or size, a chain that loops.
var ErrCorrupt = errors.New("corrupt journal file")

// ErrUnsupported is returned for files using format features this reader
// does not know (unknown incompatible flags): reading them could misread.
var ErrUnsupported = errors.New("unsupported journal file format")

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// Header is what the reader uses of a journal file's header.
type Header struct {
	Compatible   uint32
	Incompatible uint32
	State        uint8
	FileID       [16]byte
	MachineID    [16]byte
	SeqnumID     [16]byte
	HeaderSize   uint64
	ArenaSize    uint64
	FieldHashOff uint64 // payload of the field hash table
	FieldHashLen uint64 // bytes
	NEntries     uint64
	EntryArray   uint64 // first array of the global entry array chain
	HeadRealtime uint64 // µs since the epoch, 0 without entries
	TailRealtime uint64
}

// Compact reports whether the file uses 32-bit offsets in entries and
// entry arrays.
func (h *Header) Compact() bool { return h.Incompatible&incompatCompact != 0 }

func parseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < headerMinSize {
		return h, corruptf("header of %d bytes, need %d", len(b), headerMinSize)
	}
	if string(b[:8]) != string(signature) {
		return h, fmt.Errorf("%w: not a journal file (signature %q)", ErrCorrupt, b[:8])
	}
	le := binary.LittleEndian
	h.Compatible = le.Uint32(b[8:])
	h.Incompatible = le.Uint32(b[12:])
	h.State = b[16]
	copy(h.FileID[:], b[24:40])
	copy(h.MachineID[:], b[40:56])
	copy(h.SeqnumID[:], b[72:88])
	h.HeaderSize = le.Uint64(b[88:])
	h.ArenaSize = le.Uint64(b[96:])
	h.FieldHashOff = le.Uint64(b[120:])
	h.FieldHashLen = le.Uint64(b[128:])
	h.NEntries = le.Uint64(b[152:])
	h.EntryArray = le.Uint64(b[176:])
	h.HeadRealtime = le.Uint64(b[184:])
	h.TailRealtime = le.Uint64(b[192:])
	if extra := h.Incompatible &^ incompatKnown; extra != 0 {
		return h, fmt.Errorf("%w: incompatible flags %#x", ErrUnsupported, extra)
	}
	if h.HeaderSize < headerMinSize || h.HeaderSize%8 != 0 || h.HeaderSize > 1<<20 {
		return h, corruptf("header size %d", h.HeaderSize)
	}
	return h, nil
}
