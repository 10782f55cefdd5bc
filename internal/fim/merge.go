package fim

import "fmt"

// Merge is Compare with the database's side streamed: the recorded
// entries are given one at a time, in path order, as Scan decodes them,
// so the database is never held in memory beside the walk.
type Merge struct {
	cur  []*Entry
	p    *Policy
	j    int
	last string
	out  []Change
}

// NewMerge starts comparing recorded entries with cur (sorted by path).
func NewMerge(cur []*Entry, p *Policy) *Merge { return &Merge{cur: cur, p: p} }

// Old compares the next recorded entry; entries must come in strictly
// increasing path order (Scan guarantees it).
func (m *Merge) Old(o *Entry) error {
	if m.last != "" && o.Path <= m.last {
		return fmt.Errorf("integrity database entries out of order at %q", o.Path)
	}
	m.last = o.Path
	for m.j < len(m.cur) && m.cur[m.j].Path < o.Path {
		c := m.cur[m.j]
		m.out = append(m.out, Change{Path: c.Path, Kind: Added, Type: c.Type, Unstable: c.Unstable})
		m.j++
	}
	if m.j < len(m.cur) && m.cur[m.j].Path == o.Path {
		c := m.cur[m.j]
		if identical(o, c) {
			m.j++
			return nil
		}
		if d := diff(o, c, m.p.For(c.Path)); len(d) > 0 {
			m.out = append(m.out, Change{Path: c.Path, Kind: Changed, Type: c.Type, Diffs: d, Unstable: c.Unstable})
		}
		m.j++
		return nil
	}
	m.out = append(m.out, Change{Path: o.Path, Kind: Removed, Type: o.Type})
	return nil
}

// Changes ends the comparison: what remains of cur was added.
func (m *Merge) Changes() []Change {
	for ; m.j < len(m.cur); m.j++ {
		c := m.cur[m.j]
		m.out = append(m.out, Change{Path: c.Path, Kind: Added, Type: c.Type, Unstable: c.Unstable})
	}
	return m.out
}

// Reusable reports whether a walk can take e's digests (Options.Previous
// holds only these): a regular file recorded whole, with a digest.
func Reusable(e *Entry) bool {
	return e.Type == TypeFile && e.Error == "" && !e.Unstable && (e.SHA256 != "" || e.SHA512 != "" || e.BLAKE3 != "")
}
