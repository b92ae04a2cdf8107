package sip

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// sipgo logs a malformed datagram whole, as one line (32 KB seen, issue
// 12), through slog.Default unless told otherwise, ignoring the
// appliance's -log level and its redaction. Every sipgo logger here goes
// through boundedLogger instead: long values are cut, a datagram's text is
// reduced to its size and first line with credentials blanked, and a flood
// of warnings is sampled.

const (
	maxLogValue     = 200 // bytes of any one string value
	libLogBurst     = 20  // library warnings and errors let through at once
	libLogPerSecond = 2
)

var setLibraryLogger sync.Once

// SetLibraryLogger routes sipgo's package-level logger (used before any
// user agent exists, and by its header parser) through the same bounds.
// Call it once, before any SIP account starts.
func SetLibraryLogger(log *slog.Logger) {
	setLibraryLogger.Do(func() { sip.SetDefaultLogger(boundedLogger(log)) })
}

func boundedLogger(log *slog.Logger) *slog.Logger {
	return slog.New(&boundedHandler{next: log.Handler(), budget: &logBudget{tokens: libLogBurst}}).With("lib", "sipgo")
}

// boundedHandler is a slog.Handler that cuts and redacts attribute values
// and samples records at Warn and above.
type boundedHandler struct {
	next   slog.Handler
	budget *logBudget
}

type logBudget struct {
	mu      sync.Mutex
	tokens  float64
	last    time.Time
	dropped int
}

// take reports whether a record may be logged now, and how many were
// dropped since the last one that was.
func (b *logBudget) take(now time.Time) (bool, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(libLogBurst, b.tokens+now.Sub(b.last).Seconds()*libLogPerSecond)
	}
	b.last = now
	if b.tokens < 1 {
		b.dropped++
		return false, 0
	}
	b.tokens--
	d := b.dropped
	b.dropped = 0
	return true, d
}

func (h *boundedHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *boundedHandler) Handle(ctx context.Context, r slog.Record) error {
	var dropped int
	if r.Level >= slog.LevelWarn {
		ok, d := h.budget.take(r.Time)
		if !ok {
			return nil
		}
		dropped = d
	}
	out := slog.NewRecord(r.Time, r.Level, clip(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(boundAttr(a))
		return true
	})
	if dropped > 0 {
		out.AddAttrs(slog.Int("similar_lines_dropped", dropped))
	}
	return h.next.Handle(ctx, out)
}

func (h *boundedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	bs := make([]slog.Attr, len(as))
	for i, a := range as {
		bs[i] = boundAttr(a)
	}
	return &boundedHandler{next: h.next.WithAttrs(bs), budget: h.budget}
}

func (h *boundedHandler) WithGroup(name string) slog.Handler {
	return &boundedHandler{next: h.next.WithGroup(name), budget: h.budget}
}

// boundAttr cuts one attribute; "data" and "msg" (sipgo's names for raw
// message text) become a summary.
func boundAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if a.Key == "data" || a.Key == "msg" || looksLikeSIP(v.String()) {
			return slog.String(a.Key, summarizeMessage(v.String()))
		}
		return slog.String(a.Key, clip(redactCredentials(v.String())))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = boundAttr(ga)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, clip(redactCredentials(err.Error())))
		}
		return slog.String(a.Key, clip(redactCredentials(fmt.Sprint(v.Any()))))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// summarizeMessage is what the log keeps of a raw SIP message: its size
// and first line, without credentials.
func summarizeMessage(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	first = strings.TrimRight(first, "\r")
	return fmt.Sprintf("%d bytes, first line %q", len(s), clip(redactCredentials(first)))
}

func looksLikeSIP(s string) bool {
	return len(s) > maxLogValue && strings.Contains(s, "SIP/2.0")
}

// redactCredentials blanks what follows every credentials header name
// ("authorization:" also ends "proxy-authorization:"), in one pass. The
// search lowers ASCII letters only, byte for byte: strings.ToLower turns an
// invalid byte into a three-byte U+FFFD, so offsets found in its result do
// not fit s (a datagram from anyone panicked the logger).
func redactCredentials(s string) string {
	const h = "authorization:"
	i := indexFoldASCII(s, h)
	if i < 0 {
		return s
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(s[:i+len(h)])
		b.WriteString(" [redacted]")
		s = s[i+len(h):]
		end := strings.IndexAny(s, "\r\n")
		if end < 0 {
			end = len(s)
		}
		s = s[end:]
		i = indexFoldASCII(s, h)
	}
	b.WriteString(s)
	return b.String()
}

// indexFoldASCII is strings.Index of a lower-case ASCII needle in s,
// ignoring the case of ASCII letters; every other byte must match as is.
func indexFoldASCII(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		j := 0
		for j < len(needle) {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
			j++
		}
		if j == len(needle) {
			return i
		}
	}
	return -1
}

// clip cuts s to maxLogValue bytes (on a rune boundary) and escapes
// control characters, so one value is one short line.
func clip(s string) string {
	if len(s) > maxLogValue {
		cut := maxLogValue
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	if strings.ContainsAny(s, "\r\n\x00") {
		s = strings.NewReplacer("\r", `\r`, "\n", `\n`, "\x00", `\x00`).Replace(s)
	}
	return s
}

// logLimiter writes at most one line per interval for one kind of event,
// with how many it skipped: a flood of refused requests is one line every
// few seconds, not one line per datagram.
type logLimiter struct {
	mu      sync.Mutex
	last    time.Time
	skipped int
}

const logEvery = 10 * time.Second

func (l *logLimiter) note(log *slog.Logger, msg, source string, args ...any) {
	l.mu.Lock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < logEvery {
		l.skipped++
		l.mu.Unlock()
		return
	}
	skipped := l.skipped
	l.last, l.skipped = now, 0
	l.mu.Unlock()
	log.Info(msg, append([]any{"source", source, "similar_since_last_line", skipped}, args...)...)
}
