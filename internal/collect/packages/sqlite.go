package packages

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A minimal read-only SQLite 3 file reader, enough to list the rows of one
// rowid table (rpm's "Packages" table). It never writes, needs no journal
// or lock files, and bounds every size and page reference, so a hostile
// database cannot make it loop or allocate without limit. Committed pages
// of a write-ahead log can be overlaid (see wal.go).

var errSQLite = errors.New("malformed sqlite database")

const sqliteMagic = "SQLite format 3\x00"

type sqliteDB struct {
	r        io.ReaderAt
	size     int64
	pageSize int
	usable   int
	pages    uint32
	wal      *walIndex
}

// attachWAL overlays the committed frames of a write-ahead log.
func (db *sqliteDB) attachWAL(r io.ReaderAt, size int64) error {
	w, err := readWAL(r, size, db.pageSize)
	if err != nil || w == nil {
		return err
	}
	db.wal, db.pages = w, w.dbPages
	return nil
}

func openSQLite(r io.ReaderAt, size int64) (*sqliteDB, error) {
	var h [100]byte
	if size < 100 {
		return nil, fmt.Errorf("%w: file too short", errSQLite)
	}
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("read sqlite header: %w", err)
	}
	if string(h[:16]) != sqliteMagic {
		return nil, fmt.Errorf("%w: bad magic", errSQLite)
	}
	ps := int(binary.BigEndian.Uint16(h[16:18]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("%w: page size %d", errSQLite, ps)
	}
	usable := ps - int(h[20])
	if usable < 480 {
		return nil, fmt.Errorf("%w: usable page size %d", errSQLite, usable)
	}
	n := size / int64(ps)
	if n > 1<<31 {
		return nil, fmt.Errorf("%w: too many pages", errSQLite)
	}
	return &sqliteDB{r: r, size: size, pageSize: ps, usable: usable, pages: uint32(n)}, nil
}

func (db *sqliteDB) page(n uint32) ([]byte, error) {
	if n == 0 || n > db.pages {
		return nil, fmt.Errorf("%w: page %d out of range", errSQLite, n)
	}
	b := make([]byte, db.pageSize)
	if db.wal != nil {
		if off, ok := db.wal.pages[n]; ok {
			if _, err := db.wal.r.ReadAt(b, off); err != nil {
				return nil, fmt.Errorf("read sqlite page %d from wal: %w", n, err)
			}
			return b, nil
		}
	}
	if _, err := db.r.ReadAt(b, int64(n-1)*int64(db.pageSize)); err != nil {
		return nil, fmt.Errorf("read sqlite page %d: %w", n, err)
	}
	return b, nil
}

// tableRoot finds the root page of table name in sqlite_schema.
func (db *sqliteDB) tableRoot(name string) (uint32, error) {
	var root uint32
	found := false
	err := db.scanTable(1, func(_ int64, rec []sqlValue) error {
		if len(rec) < 4 || rec[0].text() != "table" || !strings.EqualFold(rec[1].text(), name) {
			return nil
		}
		if rec[3].i <= 0 || rec[3].i > int64(db.pages) {
			return fmt.Errorf("%w: table %s root page %d", errSQLite, name, rec[3].i)
		}
		root, found = uint32(rec[3].i), true
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("sqlite table %q not found", name)
	}
	return root, nil
}

var errStop = errors.New("stop")

// maxPayload bounds one record: rpm headers are at most a few MiB.
const maxPayload = 64 << 20

// scanTable calls fn for every row of the rowid table rooted at root.
func (db *sqliteDB) scanTable(root uint32, fn func(rowid int64, rec []sqlValue) error) error {
	visited := map[uint32]bool{}
	var walk func(pg uint32, depth int) error
	walk = func(pg uint32, depth int) error {
		if depth > 64 || visited[pg] {
			return fmt.Errorf("%w: b-tree loop at page %d", errSQLite, pg)
		}
		visited[pg] = true
		b, err := db.page(pg)
		if err != nil {
			return err
		}
		hdr := 0
		if pg == 1 {
			hdr = 100
		}
		if len(b) < hdr+12 {
			return fmt.Errorf("%w: short page", errSQLite)
		}
		typ := b[hdr]
		ncell := int(binary.BigEndian.Uint16(b[hdr+3:]))
		cellPtr := hdr + 8
		if typ == 0x05 {
			cellPtr = hdr + 12
		}
		if cellPtr+2*ncell > db.usable {
			return fmt.Errorf("%w: cell count %d on page %d", errSQLite, ncell, pg)
		}
		for i := 0; i < ncell; i++ {
			off := int(binary.BigEndian.Uint16(b[cellPtr+2*i:]))
			if off < cellPtr || off >= db.usable {
				return fmt.Errorf("%w: cell offset on page %d", errSQLite, pg)
			}
			cell := b[off:db.usable]
			switch typ {
			case 0x05: // interior table page: child pointer, rowid
				if len(cell) < 4 {
					return fmt.Errorf("%w: short cell", errSQLite)
				}
				if err := walk(binary.BigEndian.Uint32(cell), depth+1); err != nil {
					return err
				}
			case 0x0d: // leaf table page: payload size, rowid, payload
				plen, n1 := uvarint(cell)
				if n1 == 0 {
					return fmt.Errorf("%w: bad varint", errSQLite)
				}
				rowid, n2 := uvarint(cell[n1:])
				if n2 == 0 {
					return fmt.Errorf("%w: bad varint", errSQLite)
				}
				payload, err := db.payload(cell[n1+n2:], plen)
				if err != nil {
					return err
				}
				rec, err := parseRecord(payload)
				if err != nil {
					return err
				}
				if err := fn(int64(rowid), rec); err != nil {
					return err
				}
			default:
				return fmt.Errorf("%w: page %d has type %#x, not a table page", errSQLite, pg, typ)
			}
		}
		if typ == 0x05 {
			return walk(binary.BigEndian.Uint32(b[hdr+8:]), depth+1)
		}
		return nil
	}
	return walk(root, 0)
}

// payload assembles a leaf cell's payload, following overflow pages.
func (db *sqliteDB) payload(local []byte, plen uint64) ([]byte, error) {
	if plen > maxPayload || plen > uint64(db.pages)*uint64(db.usable) {
		return nil, fmt.Errorf("%w: record of %d bytes", errSQLite, plen)
	}
	p := int(plen)
	u := db.usable
	x := u - 35
	if p <= x {
		if len(local) < p {
			return nil, fmt.Errorf("%w: truncated cell", errSQLite)
		}
		return local[:p], nil
	}
	m := (u-12)*32/255 - 23
	k := m + (p-m)%(u-4)
	if k > x {
		k = m
	}
	if len(local) < k+4 {
		return nil, fmt.Errorf("%w: truncated cell", errSQLite)
	}
	out := make([]byte, 0, p)
	out = append(out, local[:k]...)
	next := binary.BigEndian.Uint32(local[k:])
	seen := map[uint32]bool{}
	for len(out) < p {
		if next == 0 || seen[next] {
			return nil, fmt.Errorf("%w: broken overflow chain", errSQLite)
		}
		seen[next] = true
		b, err := db.page(next)
		if err != nil {
			return nil, err
		}
		n := min(p-len(out), u-4)
		out = append(out, b[4:4+n]...)
		next = binary.BigEndian.Uint32(b)
	}
	return out, nil
}

// sqlValue is one column of a record: an integer, or text/blob bytes.
type sqlValue struct {
	null bool
	i    int64
	b    []byte
}

func (v sqlValue) text() string { return string(v.b) }

func parseRecord(p []byte) ([]sqlValue, error) {
	hlen, n := uvarint(p)
	if n == 0 || hlen > uint64(len(p)) || hlen < uint64(n) {
		return nil, fmt.Errorf("%w: bad record header", errSQLite)
	}
	hdr := p[n:hlen]
	body := p[hlen:]
	var out []sqlValue
	for len(hdr) > 0 {
		st, k := uvarint(hdr)
		if k == 0 {
			return nil, fmt.Errorf("%w: bad serial type", errSQLite)
		}
		hdr = hdr[k:]
		var size int
		switch {
		case st == 0, st == 8, st == 9:
			size = 0
		case st >= 1 && st <= 4:
			size = int(st)
		case st == 5:
			size = 6
		case st == 6, st == 7:
			size = 8
		case st >= 12:
			if (st-12)/2 > uint64(len(body)) {
				return nil, fmt.Errorf("%w: field exceeds record", errSQLite)
			}
			size = int((st - 12) / 2)
		default:
			return nil, fmt.Errorf("%w: serial type %d", errSQLite, st)
		}
		if size > len(body) {
			return nil, fmt.Errorf("%w: field exceeds record", errSQLite)
		}
		f := body[:size]
		body = body[size:]
		var v sqlValue
		switch {
		case st == 0:
			v.null = true
		case st == 8:
			v.i = 0
		case st == 9:
			v.i = 1
		case st <= 6:
			var x int64
			if size > 0 && f[0]&0x80 != 0 {
				x = -1
			}
			for _, c := range f {
				x = x<<8 | int64(c)
			}
			v.i = x
		case st == 7:
			// Floats do not occur in the tables read here.
		default:
			v.b = f
		}
		out = append(out, v)
	}
	return out, nil
}

// uvarint decodes SQLite's big-endian variable-length integer; n is 0 on
// truncated input.
func uvarint(b []byte) (v uint64, n int) {
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, 0
		}
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return v, 9
}
