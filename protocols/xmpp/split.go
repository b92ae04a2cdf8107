package xmpp

import (
	"bytes"
	"sync"
)

// maxLoggedUnit bounds how much of one stanza the packet log buffers; a
// bigger one is reported by size and skipped.
const maxLoggedUnit = 1 << 20

const oversized = "[stanza over 1 MiB not logged]"

// splitter cuts one direction of a raw XMPP byte stream into the units the
// packet log shows: stream headers, complete top-level elements (stanzas and
// negotiation elements) and the stream's end. It only finds element
// boundaries; Redact does the parsing that matters for secrets.
type splitter struct {
	mu    sync.Mutex
	emit  func(unit []byte, element bool)
	buf   []byte
	pos   int // next byte of buf to scan
	start int // start of the current top-level element
	depth int // 0 outside the stream, 1 inside it, >1 inside a stanza
	skip  int // open elements left of an oversized stanza being skipped
}

func newSplitter(emit func(unit []byte, element bool)) *splitter {
	return &splitter{emit: emit}
}

// Write takes the next bytes of the stream; it never fails.
func (s *splitter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	s.scan()
	// Drop what has been emitted or skipped.
	keep := s.pos
	if s.depth > 1 {
		keep = s.start
	}
	if keep > 0 {
		s.buf = append(s.buf[:0], s.buf[keep:]...)
		s.pos -= keep
		s.start -= keep
	}
	if len(s.buf) > maxLoggedUnit {
		s.emit([]byte(oversized), false)
		s.buf, s.pos, s.start = s.buf[:0], 0, 0
		if s.depth > 1 {
			s.skip, s.depth = s.depth-1, 1 // skip until the oversized element ends
		}
	}
	return len(p), nil
}

func (s *splitter) scan() {
	for s.pos < len(s.buf) {
		b := s.buf[s.pos:]
		if b[0] != '<' {
			i := bytes.IndexByte(b, '<')
			if i < 0 {
				s.pos = len(s.buf)
				return
			}
			s.pos += i
			continue
		}
		n, kind := construct(b)
		if n == 0 {
			return // incomplete: wait for more bytes
		}
		unit := b[:n]
		at := s.pos
		s.pos += n
		if s.skip > 0 {
			switch kind {
			case tagStart:
				s.skip++
			case tagEnd:
				s.skip--
			}
			continue
		}
		switch kind {
		case tagStart:
			if isStreamHeader(unit) {
				s.depth = 1
				s.emit(clone(unit), false)
				continue
			}
			if s.depth == 1 {
				s.start = at
			}
			if s.depth != 0 {
				s.depth++
			}
		case tagEmpty:
			if s.depth == 1 {
				s.emit(clone(unit), true)
			}
		case tagEnd:
			switch {
			case s.depth == 1:
				s.depth = 0
				s.emit(clone(unit), false)
			case s.depth == 2:
				s.depth = 1
				if s.pos-s.start > maxLoggedUnit {
					s.emit([]byte(oversized), false)
				} else {
					s.emit(clone(s.buf[s.start:s.pos]), true)
				}
			case s.depth > 2:
				s.depth--
			}
		}
	}
}

type constructKind int

const (
	other    constructKind = iota // comment, CDATA, declaration, processing instruction
	tagStart                      // <name ...>
	tagEmpty                      // <name .../>
	tagEnd                        // </name>
)

// construct returns the length of the markup construct b starts with
// (b[0] == '<'), or 0 if b does not hold all of it yet.
func construct(b []byte) (int, constructKind) {
	for _, d := range [...]struct{ open, close string }{{"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"<?", "?>"}} {
		if bytes.HasPrefix(b, []byte(d.open)) {
			i := bytes.Index(b[len(d.open):], []byte(d.close))
			if i < 0 {
				return 0, other
			}
			return len(d.open) + i + len(d.close), other
		}
		if len(b) < len(d.open) && bytes.HasPrefix([]byte(d.open), b) {
			return 0, other // could still become this construct
		}
	}
	var quote byte
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			switch {
			case b[1] == '/':
				return i + 1, tagEnd
			case b[1] == '!':
				return i + 1, other
			case b[i-1] == '/':
				return i + 1, tagEmpty
			default:
				return i + 1, tagStart
			}
		}
	}
	return 0, other
}

// isStreamHeader reports whether a start tag opens an XML stream
// (<stream:stream ...>, whatever the prefix).
func isStreamHeader(tag []byte) bool {
	name := tag[1:]
	if i := bytes.IndexAny(name, " \t\r\n/>"); i >= 0 {
		name = name[:i]
	}
	return bytes.Equal(name, []byte("stream")) || bytes.HasSuffix(name, []byte(":stream"))
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
