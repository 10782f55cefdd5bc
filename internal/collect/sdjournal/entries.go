package sdjournal

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Entry is one journal entry: its realtime timestamp and the fields that
// were asked for (every value, in the entry's order, when a field occurs
// more than once).
type Entry struct {
	Time     time.Time           `json:"time"`
	Seqnum   uint64              `json:"seqnum"`
	Fields   map[string][]string `json:"fields"`
	File     string              `json:"file,omitempty"`
	realtime uint64
	seqnumID [16]byte
}

// Get returns the first value of a field, "" when the entry has none.
func (e *Entry) Get(name string) string {
	if v := e.Fields[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Match selects entries with Field=Value.
type Match struct{ Field, Value string }

// Query selects entries. Entries are visited newest first.
type Query struct {
	// Since ends the read: entries before it are not returned, and
	// reading a file stops after oldToStop consecutive older entries
	// (one entry dated wrongly by a clock step does not end it).
	Since time.Time
	// Match, when set, keeps entries with any of these field values;
	// they are found through the file's index.
	Match []Match
	// Fields lists the fields to return; nil returns every field.
	Fields []string
	// Keep, when set, drops the entries it returns false for before they
	// count against Limits.Entries (sshd's failed logins under brute
	// force must not use up the bound before its accepted ones).
	Keep func(*Entry) bool
}

const (
	oldToStop = 100
	// maxEntryItems bounds the fields of one entry (journald writes at
	// most 1024 fields per entry).
	maxEntryItems = 4096
	// maxDamaged is how many damaged entries a file may have before it
	// is given up.
	maxDamaged = 100
	// maxArrays bounds one entry array chain; arrays double in size, so
	// a real chain is short.
	maxArrays = 1 << 16
	// maxCached bounds the decoded data objects kept per file.
	maxCached = 1 << 16
)

// Stats say how completely a file was read.
type Stats struct {
	Entries int // entries returned
	// Complete is set when the file was read back to the start of the
	// window or to its first entry.
	Complete bool
	// Damaged counts entries skipped because they could not be read.
	Damaged int
	// Oversized counts fields skipped for exceeding Limits.FieldSize.
	Oversized int
	// FullScan is set when the index could not be used and every entry
	// was read instead.
	FullScan bool
}

// offsetList is a list of entry offsets: an optional entry stored inline
// (in a data object) followed by the items of a chain of entry arrays.
type offsetList struct {
	inline uint64
	arrays []arrayRef
}

type arrayRef struct{ off, n uint64 } // items used in this array

// chain walks an entry array chain from off and keeps at most n items in
// all. Offsets must increase along the chain (arrays are appended), which
// also rules out loops.
func (f *File) chain(off, n uint64) ([]arrayRef, error) {
	var out []arrayRef
	is := f.itemSize()
	for prev := uint64(0); off != 0 && n > 0; {
		if off <= prev {
			return out, corruptf("entry array chain goes back from %#x to %#x", prev, off)
		}
		if len(out) >= maxArrays {
			return out, corruptf("entry array chain longer than %d", maxArrays)
		}
		size, err := f.object(off, objEntryArray, entryArrayItems)
		if err != nil {
			return out, err
		}
		next, err := f.u64(off + objHeaderSize)
		if err != nil {
			return out, err
		}
		k := min((size-entryArrayItems)/is, n)
		out = append(out, arrayRef{off, k})
		n -= k
		prev, off = off, next
	}
	return out, nil
}

// cursor walks an offset list backwards, last offset first.
type cursor struct {
	f      *File
	l      offsetList
	ai     int    // current array, counting down
	j      uint64 // items left in it
	inline bool   // the inline offset is still to come
	cur    uint64 // current offset, valid while ok
	ok     bool
}

func newCursor(f *File, l offsetList) (*cursor, error) {
	c := &cursor{f: f, l: l, ai: len(l.arrays) - 1, inline: l.inline != 0}
	if c.ai >= 0 {
		c.j = l.arrays[c.ai].n
	}
	return c, c.next()
}

// next moves to the next earlier non-zero offset; ok is false at the end.
func (c *cursor) next() error {
	is := c.f.itemSize()
	for c.ai >= 0 {
		if c.j == 0 {
			c.ai--
			if c.ai >= 0 {
				c.j = c.l.arrays[c.ai].n
			}
			continue
		}
		c.j--
		if err := c.f.rd.object(); err != nil { // arrays may overlap: items count
			return err
		}
		o, err := c.f.item(c.l.arrays[c.ai].off + entryArrayItems + c.j*is)
		if err != nil {
			return err
		}
		if o != 0 { // zero: not yet used (a file being written)
			c.cur, c.ok = o, true
			return nil
		}
	}
	if c.inline {
		c.inline = false
		c.cur, c.ok = c.l.inline, true
		return nil
	}
	c.ok = false
	return nil
}

// mergeBackward visits the offsets of several lists in one descending
// order, each once (entry offsets grow with time within a file), so the
// window's start is found once for all of them, however many entries
// each list holds.
func mergeBackward(f *File, lists []offsetList, fn func(uint64) (bool, error)) error {
	var cs []*cursor
	for _, l := range lists {
		c, err := newCursor(f, l)
		if err != nil {
			return err
		}
		cs = append(cs, c)
	}
	for {
		var top uint64
		for _, c := range cs {
			if c.ok && c.cur > top {
				top = c.cur
			}
		}
		if top == 0 {
			return nil
		}
		if more, err := fn(top); err != nil || !more {
			return err
		}
		for _, c := range cs {
			// Lists are sorted, but a damaged one may not be: skip
			// anything not below what was visited.
			for c.ok && c.cur >= top {
				if err := c.next(); err != nil {
					return err
				}
			}
		}
	}
}

// fieldSet says which fields to decode; nil means all.
type fieldSet map[string]bool

func (s fieldSet) has(name string) bool { return s == nil || s[name] }

// cached is a decoded data object: its field name, and its value when
// the field is wanted.
type cached struct {
	name      string
	value     string
	oversized bool
}

// Entries visits the entries q selects, newest first, calling fn for
// each. It returns how completely the file was read; the error is the
// reason reading stopped early (ErrBudget, corruption, cancellation, or
// fn's error).
func (f *File) Entries(ctx context.Context, q Query, fn func(Entry) error) (Stats, error) {
	var st Stats
	want := fieldSet(nil)
	if q.Fields != nil {
		want = fieldSet{}
		for _, n := range q.Fields {
			want[n] = true
		}
		for _, m := range q.Match {
			want[m.Field] = true
		}
	}
	var since uint64
	if !q.Since.IsZero() && q.Since.UnixMicro() > 0 {
		since = uint64(q.Since.UnixMicro())
	}
	if since > 0 && f.Header.TailRealtime != 0 && f.Header.TailRealtime < since {
		st.Complete = true // nothing in the window
		return st, nil
	}
	lists, err := f.lists(q.Match)
	if err != nil {
		if errors.Is(err, ErrBudget) || ctx.Err() != nil {
			return st, err
		}
		// A damaged index: read every entry and filter instead.
		st.FullScan = true
		lists, err = f.globalList()
		if err != nil {
			return st, err
		}
	}
	cache := map[uint64]cached{}
	old, visited := 0, 0
	visit := func(off uint64) (bool, error) {
		if visited++; visited%256 == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
		e, err := f.entry(off, since, want, cache, &st)
		if err != nil {
			if errors.Is(err, ErrBudget) {
				return false, err
			}
			st.Damaged++
			if st.Damaged > maxDamaged {
				return false, fmt.Errorf("more than %d damaged entries, last: %w", maxDamaged, err)
			}
			return true, nil
		}
		if since > 0 && e.realtime < since {
			old++
			return old < oldToStop, nil
		}
		old = 0
		if !matches(e, q.Match) || (q.Keep != nil && !q.Keep(&e)) {
			return true, nil
		}
		if f.rd.entriesLeft <= 0 {
			return false, fmt.Errorf("%w: %d entries", ErrBudget, f.rd.lim.Entries)
		}
		f.rd.entriesLeft--
		st.Entries++
		e.File = f.Name
		e.seqnumID = f.Header.SeqnumID
		return true, fn(e)
	}
	err = mergeBackward(f, lists, visit)
	if err == nil {
		st.Complete = true
	}
	return st, err
}

func matches(e Entry, ms []Match) bool {
	if len(ms) == 0 {
		return true
	}
	for _, m := range ms {
		if slices.Contains(e.Fields[m.Field], m.Value) {
			return true
		}
	}
	return false
}

// globalList is every entry of the file, from the header's chain.
func (f *File) globalList() ([]offsetList, error) {
	arrays, err := f.chain(f.Header.EntryArray, f.Header.NEntries)
	if err != nil {
		return nil, err
	}
	return []offsetList{{arrays: arrays}}, nil
}

// lists returns the entry lists to visit: the whole file without
// matches, else the lists of the data objects holding the matched values.
func (f *File) lists(ms []Match) ([]offsetList, error) {
	if len(ms) == 0 {
		return f.globalList()
	}
	byField := map[string][]string{}
	var names []string
	for _, m := range ms {
		if _, ok := byField[m.Field]; !ok {
			names = append(names, m.Field)
		}
		byField[m.Field] = append(byField[m.Field], m.Value)
	}
	heads, err := f.fieldHeads(names)
	if err != nil {
		return nil, err
	}
	var out []offsetList
	for _, name := range names {
		head, ok := heads[name]
		if !ok {
			continue // no entry has this field
		}
		ls, err := f.valueLists(head, name, byField[name])
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}

// fieldHeads finds the field objects of names through the field hash
// table and returns the first data object of each.
func (f *File) fieldHeads(names []string) (map[string]uint64, error) {
	h := f.Header
	out := map[string]uint64{}
	if h.FieldHashLen == 0 || h.FieldHashLen%hashItemSize != 0 || h.FieldHashLen > 1<<20 || h.FieldHashOff < objHeaderSize {
		return nil, corruptf("field hash table of %d bytes", h.FieldHashLen)
	}
	if _, err := f.object(h.FieldHashOff-objHeaderSize, objFieldHash, objHeaderSize+h.FieldHashLen); err != nil {
		return nil, err
	}
	table, err := f.bytes(h.FieldHashOff, h.FieldHashLen)
	if err != nil {
		return nil, err
	}
	table = bytes.Clone(table)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for i := uint64(0); i < h.FieldHashLen && len(out) < len(want); i += hashItemSize {
		seen := map[uint64]bool{}
		for off := binary.LittleEndian.Uint64(table[i:]); off != 0; {
			if seen[off] {
				return nil, corruptf("field hash chain loops at %#x", off)
			}
			seen[off] = true
			size, err := f.object(off, objField, fieldPayload)
			if err != nil {
				return nil, err
			}
			b, err := f.bytes(off+objHeaderSize+8, 16) // next_hash_offset, head_data_offset
			if err != nil {
				return nil, err
			}
			next, head := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
			if n := size - fieldPayload; n <= 256 {
				name, err := f.bytes(off+fieldPayload, n)
				if err != nil {
					return nil, err
				}
				if want[string(name)] {
					out[string(name)] = head
				}
			}
			off = next
		}
	}
	return out, nil
}

// valueLists walks the data objects of one field (newest first, through
// next_field_offset) and returns the entry lists of those holding one of
// values.
func (f *File) valueLists(head uint64, name string, values []string) ([]offsetList, error) {
	want, lens := map[string]bool{}, map[uint64]bool{}
	for _, v := range values {
		want[name+"="+v] = true
		lens[uint64(len(name)+1+len(v))] = true
	}
	var out []offsetList
	seen := map[uint64]bool{}
	for off := head; off != 0; {
		if seen[off] {
			return nil, corruptf("data chain of field %s loops at %#x", name, off)
		}
		seen[off] = true
		d, err := f.dataObject(off)
		if err != nil {
			return nil, err
		}
		if lens[d.payloadLen] || d.flags != 0 { // an uncompressed value of another length cannot match
			p, err := f.payload(d)
			if err == nil && want[string(p)] {
				arrays, err := f.chain(d.entryArray, d.nEntries-min(d.nEntries, 1))
				if err != nil {
					return nil, err
				}
				out = append(out, offsetList{inline: d.entry, arrays: arrays})
			} else if err != nil && !errors.Is(err, errOversized) {
				return nil, err
			}
		}
		off = d.nextField
	}
	return out, nil
}

// dataObj is the fixed part of a data object.
type dataObj struct {
	off, payloadOff, payloadLen uint64
	flags                       byte
	nextField                   uint64
	entry, entryArray, nEntries uint64
}

func (f *File) dataObject(off uint64) (dataObj, error) {
	po := uint64(dataPayload)
	if f.Header.Compact() {
		po = dataPayloadCompact
	}
	size, err := f.object(off, objData, po)
	if err != nil {
		return dataObj{}, err
	}
	b, err := f.bytes(off, dataPayload)
	if err != nil {
		return dataObj{}, err
	}
	le := binary.LittleEndian
	d := dataObj{off: off, payloadOff: off + po, payloadLen: size - po, flags: b[1],
		nextField: le.Uint64(b[32:]), entry: le.Uint64(b[40:]), entryArray: le.Uint64(b[48:]), nEntries: le.Uint64(b[56:])}
	return d, nil
}

var errOversized = errors.New("field larger than the size limit")

// payload returns a data object's "NAME=value", decompressed within
// Limits.FieldSize.
func (f *File) payload(d dataObj) ([]byte, error) {
	limit := uint64(f.rd.lim.FieldSize) + 256 // the name and '=' do not count
	if d.payloadLen > limit {
		return nil, errOversized
	}
	raw, err := f.bytes(d.payloadOff, d.payloadLen)
	if err != nil {
		return nil, err
	}
	switch d.flags & (flagXZ | flagLZ4 | flagZSTD) {
	case 0:
		return raw, nil
	case flagXZ:
		if f.Header.Incompatible&incompatXZ == 0 {
			break
		}
		return f.rd.dec.xz(raw, int(limit))
	case flagLZ4:
		if f.Header.Incompatible&incompatLZ4 == 0 {
			break
		}
		return f.rd.dec.lz4(raw, int(limit))
	case flagZSTD:
		if f.Header.Incompatible&incompatZSTD == 0 {
			break
		}
		return f.rd.dec.zstd(raw, int(limit))
	}
	return nil, corruptf("data object at %#x has compression flags %#x not declared in the header", d.off, d.flags)
}

// entry reads the entry at off; its fields only when it is not before
// since.
func (f *File) entry(off, since uint64, want fieldSet, cache map[uint64]cached, st *Stats) (Entry, error) {
	size, err := f.object(off, objEntry, entryItems)
	if err != nil {
		return Entry{}, err
	}
	b, err := f.bytes(off+objHeaderSize, 16)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Seqnum: binary.LittleEndian.Uint64(b), realtime: binary.LittleEndian.Uint64(b[8:])}
	if e.realtime > 1<<62 {
		return Entry{}, corruptf("entry at %#x has realtime %d", off, e.realtime)
	}
	e.Time = time.UnixMicro(int64(e.realtime)).UTC()
	if e.realtime < since {
		return e, nil
	}
	stride := uint64(16)
	if f.Header.Compact() {
		stride = 4
	}
	n := (size - entryItems) / stride
	if n > maxEntryItems {
		return Entry{}, corruptf("entry at %#x has %d items", off, n)
	}
	e.Fields = map[string][]string{}
	for i := range n {
		// Each reference counts as a visit, also when its object is
		// cached: entries full of references to one object cost too.
		if err := f.rd.object(); err != nil {
			return Entry{}, err
		}
		d, err := f.item(off + entryItems + i*stride)
		if err != nil {
			return Entry{}, err
		}
		c, ok := cache[d]
		if !ok {
			c, err = f.decode(d, want)
			if err != nil {
				return Entry{}, err
			}
			if len(cache) >= maxCached {
				clear(cache)
			}
			cache[d] = c
		}
		if c.oversized {
			st.Oversized++
			continue
		}
		if want.has(c.name) {
			e.Fields[c.name] = append(e.Fields[c.name], c.value)
		}
	}
	return e, nil
}

// decode reads one data object of an entry: the name always, the value
// only when wanted. An uncompressed object's name is read from the start
// of its payload, so unwanted large values are never read.
func (f *File) decode(off uint64, want fieldSet) (cached, error) {
	d, err := f.dataObject(off)
	if err != nil {
		return cached{}, err
	}
	if d.flags == 0 && want != nil {
		b, err := f.bytes(d.payloadOff, min(d.payloadLen, 66)) // names are at most 64 bytes
		if err != nil {
			return cached{}, err
		}
		if i := bytes.IndexByte(b, '='); i > 0 && !want[string(b[:i])] {
			return cached{name: string(b[:i])}, nil
		}
	}
	p, err := f.payload(d)
	if errors.Is(err, errOversized) {
		return cached{oversized: true}, nil
	}
	if err != nil {
		return cached{}, fmt.Errorf("data object at %#x: %w", off, err)
	}
	i := bytes.IndexByte(p, '=')
	if i <= 0 {
		return cached{}, corruptf("data object at %#x has no field name", off)
	}
	c := cached{name: string(p[:i])}
	if len(p)-i-1 > f.rd.lim.FieldSize {
		return cached{oversized: true}, nil
	}
	if want.has(c.name) {
		c.value = string(p[i+1:])
	}
	return c, nil
}
