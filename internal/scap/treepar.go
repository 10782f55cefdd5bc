package scap

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"
)

// A large document is read on several cores: the children of its root
// (and of its large children, down to splitDepth) are located by their
// tags and read concurrently, each by its own parser, then linked in
// document order. Locating is speculative: it relies on every '<' starting
// a tag, which holds in well-formed content without comments, CDATA
// sections or processing instructions; when those appear, or anything
// fails, the document is read again sequentially, which reports errors.
// Each piece is still read in full by the strict parser, and must end
// exactly where it was located to end.
var (
	splitMin   = 256 << 10 // bytes; smaller elements are one piece
	splitDepth = 3
)

// job is a run of sibling elements read by one parser.
type job struct {
	els   []piece
	size  int
	ns    []binding
	depth int // open ancestors
}

type piece struct {
	node *Node
	at   int // offset of the element's '<'
	end  int // offset past its end tag, where its parser must stop
	line int
}

type splitter struct {
	p    *treeParser
	jobs []*job
	cur  *job // the run being gathered, nil after a split element
}

func parseParallel(data []byte, lim TreeOptions) (*Node, bool) {
	p := newTreeParser(data, lim)
	s := &splitter{p: p}
	// The prolog, up to the root's start tag.
	pos := 0
	for {
		i := bytes.IndexByte(data[pos:], '<')
		if i < 0 {
			return nil, false
		}
		at := pos + i
		var err error
		switch rest := data[at:]; {
		case bytes.HasPrefix(rest, []byte("<!--")):
			pos, err = p.comment(at)
		case bytes.HasPrefix(rest, []byte("<?")):
			pos, err = p.procInst(at)
		case len(rest) < 2 || rest[1] == '!' || rest[1] == '/':
			return nil, false
		default:
			pos = -at - 1
		}
		if err != nil {
			return nil, false
		}
		if pos < 0 {
			pos = -pos - 1
			break
		}
	}
	root, ok := s.element(pos, len(data))
	if !ok {
		return nil, false
	}
	return root, s.run()
}

// element reads the start tag at at, splits the content into jobs and
// reads the end tag; limit bounds where the element may end.
func (s *splitter) element(at, limit int) (*Node, bool) {
	p := s.p
	endTag, after, ok := p.findEnd(at, limit)
	if !ok || endTag < 0 {
		return nil, false
	}
	n, pos, self, err := p.startTag(at)
	if err != nil || self {
		return nil, false
	}
	if !s.content(pos, endTag) {
		return nil, false
	}
	if e, err := p.endTag(endTag); err != nil || e != after {
		return nil, false
	}
	return n, true
}

// content splits an element's content, from pos to its end tag at stop.
func (s *splitter) content(pos, stop int) bool {
	p := s.p
	data := p.data
	for pos < stop {
		i := bytes.IndexByte(data[pos:stop], '<')
		if i < 0 {
			return p.chars(pos, data[pos:stop], false) == nil
		}
		at := pos + i
		if i > 0 && p.chars(pos, data[pos:at], false) != nil {
			return false
		}
		if at+1 >= stop || data[at+1] == '!' || data[at+1] == '?' || data[at+1] == '/' {
			return false
		}
		endTag, after, ok := p.findEnd(at, stop)
		if !ok {
			return false
		}
		if endTag >= 0 && after-at > splitMin && len(p.stack) < splitDepth {
			s.cur = nil
			if _, ok := s.element(at, stop); !ok {
				return false
			}
			s.cur = nil
			pos = after
			continue
		}
		n := p.newNode()
		parent := p.stack[len(p.stack)-1].n
		if parent.last == nil {
			parent.First = n
		} else {
			parent.last.Next = n
		}
		parent.last = n
		p.line += bytes.Count(data[p.lineAt:at], []byte("\n"))
		p.lineAt = at
		if s.cur == nil || s.cur.size >= splitMin {
			s.cur = &job{ns: append([]binding(nil), p.ns...), depth: len(p.stack)}
			s.jobs = append(s.jobs, s.cur)
		}
		s.cur.els = append(s.cur.els, piece{node: n, at: at, end: after, line: p.line})
		s.cur.size += after - at
		pos = after
	}
	s.cur = nil // the parent's end: its scope ends
	return pos == stop
}

// run reads the jobs on the available cores.
func (s *splitter) run() bool {
	workers := min(runtime.GOMAXPROCS(0), 4, len(s.jobs))
	var next, tokens atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(s.jobs) {
					return
				}
				j := s.jobs[i]
				lim := s.p.lim
				lim.MaxDepth -= j.depth
				q := &treeParser{data: s.p.data, lim: lim, intern: map[string]string{}, ns: j.ns}
				for _, el := range j.els {
					q.first, q.line, q.lineAt = el.node, el.line, el.at
					if _, err := q.run(el.at); err != nil || q.end != el.end {
						failed.Store(true)
						return
					}
				}
				if tokens.Add(q.tokens) > lim.MaxTokens {
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return !failed.Load()
}

// findEnd locates the end of the element whose start tag is at at,
// without reading its content: the offset of its end tag (-1 for an
// empty-element tag) and the offset past it. It fails on content it
// cannot see through (comments, CDATA sections, processing
// instructions) and when limit comes first.
func (p *treeParser) findEnd(at, limit int) (endTag, after int, ok bool) {
	data := p.data[:limit]
	te := TagEnd(data, at)
	if te < 0 {
		return 0, 0, false
	}
	if data[te-2] == '/' {
		return -1, te, true
	}
	raw := data[at+1 : nameEnd(data, at+1)]
	if len(raw) == 0 {
		return 0, 0, false
	}
	depth := 1
	for k := te; ; {
		i := bytes.IndexByte(data[k:], '<')
		if i < 0 || k+i+1 >= len(data) {
			return 0, 0, false
		}
		k += i
		switch c := data[k+1]; {
		case c == '!' || c == '?':
			return 0, 0, false
		case c == '/':
			e := k + 2 + len(raw)
			if bytes.HasPrefix(data[k+2:], raw) && e < len(data) && (data[e] == '>' || isSpace(data[e])) {
				if depth--; depth == 0 {
					j := bytes.IndexByte(data[k:], '>')
					if j < 0 {
						return 0, 0, false
					}
					return k, k + j + 1, true
				}
			}
		default:
			e := k + 1 + len(raw)
			if bytes.HasPrefix(data[k+1:], raw) && e < len(data) && !isNameByte(data[e]) {
				te := TagEnd(data, k)
				if te < 0 {
					return 0, 0, false
				}
				if data[te-2] != '/' {
					depth++
				}
				k = te
				continue
			}
		}
		k++
	}
}

// TagEnd returns the offset just past the '>' closing the tag that starts
// at data[at] ('<'), honouring quoted attribute values; -1 when the tag is
// unterminated or another '<' comes first. The data-stream outline uses
// it too.
func TagEnd(data []byte, at int) int {
	var quote byte
	for k := at + 1; k < len(data); k++ {
		switch b := data[k]; {
		case quote != 0:
			if b == quote {
				quote = 0
			}
		case b == '"' || b == '\'':
			quote = b
		case b == '<':
			return -1
		case b == '>':
			return k + 1
		}
	}
	return -1
}
