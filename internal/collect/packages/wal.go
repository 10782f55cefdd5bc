package packages

import (
	"encoding/binary"
	"fmt"
	"io"
)

// A write-ahead log beside a WAL-mode database holds committed pages not
// yet copied back (rpm uses WAL mode; the log is checkpointed and removed
// when the last connection closes, so it is normally absent offline). On
// a live host during a transaction it may be present: the reader then
// overlays the log's committed frames, as SQLite itself would.

// walIndex maps page numbers to their latest committed frame offset.
type walIndex struct {
	r     io.ReaderAt
	pages map[uint32]int64
	// dbPages is the database size in pages after the last commit.
	dbPages uint32
}

const maxWALFrames = 1 << 20

// readWAL validates the log's header and frame checksums and indexes the
// frames up to the last valid commit. A log that is empty, from another
// page size or broken at any point is used up to the last good commit,
// like SQLite's recovery.
func readWAL(r io.ReaderAt, size int64, pageSize int) (*walIndex, error) {
	if size < 32 {
		return nil, nil
	}
	var h [32]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("read wal header: %w", err)
	}
	var order binary.ByteOrder
	switch binary.BigEndian.Uint32(h[0:4]) {
	case 0x377f0682:
		order = binary.LittleEndian
	case 0x377f0683:
		order = binary.BigEndian
	default:
		return nil, nil
	}
	if int(binary.BigEndian.Uint32(h[8:12])) != pageSize {
		return nil, nil
	}
	s0, s1 := walChecksum(order, h[:24], 0, 0)
	if s0 != binary.BigEndian.Uint32(h[24:28]) || s1 != binary.BigEndian.Uint32(h[28:32]) {
		return nil, nil
	}
	salt1, salt2 := binary.BigEndian.Uint32(h[16:20]), binary.BigEndian.Uint32(h[20:24])
	idx := &walIndex{r: r, pages: map[uint32]int64{}}
	pending := map[uint32]int64{}
	frameSize := int64(24 + pageSize)
	fh := make([]byte, 24)
	page := make([]byte, pageSize)
	for n, off := 0, int64(32); off+frameSize <= size && n < maxWALFrames; n, off = n+1, off+frameSize {
		if _, err := r.ReadAt(fh, off); err != nil {
			return nil, fmt.Errorf("read wal frame: %w", err)
		}
		if binary.BigEndian.Uint32(fh[8:12]) != salt1 || binary.BigEndian.Uint32(fh[12:16]) != salt2 {
			break
		}
		if _, err := r.ReadAt(page, off+24); err != nil {
			return nil, fmt.Errorf("read wal frame: %w", err)
		}
		s0, s1 = walChecksum(order, fh[:8], s0, s1)
		s0, s1 = walChecksum(order, page, s0, s1)
		if s0 != binary.BigEndian.Uint32(fh[16:20]) || s1 != binary.BigEndian.Uint32(fh[20:24]) {
			break
		}
		pgno := binary.BigEndian.Uint32(fh[0:4])
		if pgno == 0 {
			break
		}
		pending[pgno] = off + 24
		if commit := binary.BigEndian.Uint32(fh[4:8]); commit != 0 {
			for p, o := range pending {
				idx.pages[p] = o
			}
			clear(pending)
			idx.dbPages = commit
		}
	}
	if idx.dbPages == 0 {
		return nil, nil
	}
	return idx, nil
}

func walChecksum(order binary.ByteOrder, b []byte, s0, s1 uint32) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += order.Uint32(b[i:]) + s1
		s1 += order.Uint32(b[i+4:]) + s0
	}
	return s0, s1
}
