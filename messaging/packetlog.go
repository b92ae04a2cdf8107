package messaging

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/store"
)

// packetLog writes a stanza, already redacted by the xmpp package, when the
// packet_logging setting is on. The setting is read per stanza: chat is
// slow and a switch in the web admin takes effect at once.
func (s *Service) packetLog(dir xmpp.Direction, stanza []byte) {
	if s.plog == nil {
		return
	}
	if on, err := s.cfg.Store.Bool(context.Background(), store.PacketLogging); err != nil || !on {
		return
	}
	line := fmt.Sprintf("%s %s %s\n", s.cfg.Now().UTC().Format(time.RFC3339Nano), dir, stanza)
	if err := s.plog.write([]byte(line)); err != nil {
		s.cfg.Log.Warn("packet log not written", "err", err)
	}
}

// rotator is a size-capped log file: when it would pass max, it is renamed
// to path.1 (replacing the previous one) and a new file begun.
type rotator struct {
	path string
	max  int64

	mu   sync.Mutex
	f    *os.File
	size int64
}

func (r *rotator) write(b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil && r.size+int64(len(b)) > r.max {
		r.f.Close()
		r.f = nil
		if err := os.Rename(r.path, r.path+".1"); err != nil {
			return err
		}
	}
	if r.f == nil {
		f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		r.f, r.size = f, st.Size()
	}
	n, err := r.f.Write(b)
	r.size += int64(n)
	return err
}

func (r *rotator) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}
