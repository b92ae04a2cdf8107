// Package callmedia is the media of the phone's calls: for each call one
// UDP socket carrying RTP, RTCP and ZRTP (media/rtp), a ZRTP engine
// (crypto/zrtp) whose keys switch the stream to SRTP, and the headset
// (media/headset). A signalling driver (SIP today, Jingle next) uses it
// through a small adapter in cmd/appliance; it reports the
// call's security to the phone brain as call events.
package callmedia

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/padlock-phone/padlock/media/sdp"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/crypto/zrtp"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/media/rtp"
)

// ClientID is what Padlock says it is in ZRTP Hello messages.
const ClientID = "Padlock"

// Headset is where a call's audio goes: media/headset.Headset.
type Headset interface {
	Attach(c headset.CallAudio) (detach func())
}

// LegHeadset is a Headset that wants to know which call attaches: the
// conference router in cmd/appliance, which sends conference legs to the
// mixer and other calls to the headset. A Headset that is one gets
// AttachLeg instead of Attach.
type LegHeadset interface {
	AttachLeg(id call.ID, c headset.CallAudio) (detach func())
}

// Config wires the call media.
type Config struct {
	ZID     [12]byte
	Cache   ZRTPCache // nil: no retained secrets (every call needs the SAS)
	Headset Headset   // nil: no audio (tests of signalling only)
	// BindIP is the address RTP sockets listen on; unspecified means all.
	// AdvertiseIP is the one put in SDP when BindIP is unspecified.
	BindIP, AdvertiseIP netip.Addr
	// RequireEncryption is read at the start of every call: until ZRTP
	// has keys no audio is sent or played.
	RequireEncryption func() bool
	// RequireEndToEnd is read when a peer offers SDES: on, SDES alone
	// (keys the SIP servers saw) is refused and only ZRTP will do. nil:
	// on.
	RequireEndToEnd func() bool
	// Emit reports call security to the phone.
	Emit func(call.Event)
	Log  *slog.Logger
	Now  func() time.Time
}

// Media makes one Session per call. A signalling driver reaches it through
// an adapter in cmd/appliance (media never imports protocols).
type Media struct{ cfg Config }

// New checks cfg and returns the call media.
func New(cfg Config) (*Media, error) {
	if cfg.ZID == ([12]byte{}) {
		return nil, errors.New("callmedia: no ZID")
	}
	if cfg.Emit == nil {
		cfg.Emit = func(call.Event) {}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RequireEncryption == nil {
		cfg.RequireEncryption = func() bool { return true }
	}
	if cfg.RequireEndToEnd == nil {
		cfg.RequireEndToEnd = func() bool { return true }
	}
	return &Media{cfg: cfg}, nil
}

// NewSession binds the call's socket and prepares its ZRTP engine, whose
// Hello hash goes into the SDP before any media flows.
func (m *Media) NewSession(id call.ID) (*Session, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(m.cfg.BindIP, 0)))
	if err != nil {
		return nil, fmt.Errorf("media socket: %w", err)
	}
	s, err := m.newSession(id, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// newSession makes the ZRTP engine and the session's loop; conn may be nil
// when the media path comes later (ICE, see StartOn).
func (m *Media) newSession(id call.ID, conn rtp.PacketConn) (*Session, error) {
	var b [4]byte
	rand.Read(b[:])
	var cache zrtp.Cache
	if m.cfg.Cache != nil {
		cache = m.cfg.Cache
	}
	eng, err := zrtp.New(zrtp.Config{
		ZID: m.cfg.ZID, ClientID: ClientID, SSRC: binary.BigEndian.Uint32(b[:]), Cache: cache,
		// Only ciphers SRTP here can use: pion has no AES-192 (AES2).
		Ciphers: []zrtp.Algo{zrtp.CipherAES1, zrtp.CipherAES3},
	})
	if err != nil {
		return nil, err
	}
	s := &Session{
		m: m, id: id, conn: conn, eng: eng, log: m.cfg.Log.With("call", id),
		ops: make(chan func(), 64), done: make(chan struct{}),
	}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

// Session is one call's media.
type Session struct {
	m    *Media
	id   call.ID
	conn rtp.PacketConn // nil until StartOn for an ICE session
	log  *slog.Logger

	// Owned by loop.
	eng     *zrtp.Engine
	secured bool

	// sdes holds the SDES keys (ours, theirs) set before Start; sdesOn
	// says the stream runs on them (read on loop after Start).
	sdes   *[2]sdp.Crypto
	sdesOn bool

	mu      sync.Mutex
	stream  *rtp.Stream
	format  codec.Format
	detach  func()
	started bool

	ops  chan func() // run on loop, the only goroutine touching eng
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// Addr is the local RTP address for the offer or answer.
func (s *Session) Addr() netip.AddrPort {
	a := s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if a.Addr().IsUnspecified() && s.m.cfg.AdvertiseIP.IsValid() {
		return netip.AddrPortFrom(s.m.cfg.AdvertiseIP, a.Port())
	}
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// Attributes are the extra SDP attributes of this leg: the a=zrtp-hash binding of
// RFC 6189 section 8.1, so a man in the middle who rewrites the Hello is
// caught by signalling that he cannot also rewrite unseen.
func (s *Session) Attributes() []string {
	return []string{"zrtp-hash:" + s.eng.HelloHash()}
}

// Start is called each time offer/answer completes: the first time it makes the stream
// and starts ZRTP; later (re-INVITE) it follows the new address and hold.
func (s *Session) Start(remote sdp.Remote, f codec.Format, dir sdp.Direction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		if s.format != f {
			// A codec change mid-call would need a new stream; keep the old.
			s.log.Warn("re-INVITE changed the codec; keeping the first", "was", s.format.Name, "now", f.Name)
		}
		s.stream.SetRemote(remote.Addr)
		s.setHold(dir == sdp.SendOnly || dir == sdp.Inactive || remote.Hold())
		if remote.ZRTPHash != "" {
			s.do(func() { s.peerHash(remote.ZRTPHash) })
		}
		return nil
	}
	if err := s.newStreamLocked(remote, f, s.zrtpIn); err != nil {
		return err
	}
	if s.sdes != nil {
		if err := s.stream.EnableSRTP(sdesKeys(s.sdes[0], s.sdes[1])); err != nil {
			s.stream.Close()
			s.stream, s.started = nil, false
			return fmt.Errorf("callmedia: SDES keys: %w", err)
		}
	}
	sdesOn := s.sdes != nil
	peer := make([]string, len(remote.Formats))
	for i, pf := range remote.Formats {
		peer[i] = pf.Rtpmap()
	}
	s.log.Info("media started", "codec", f.Name, "payload_type", f.PayloadType, "rate", f.SampleRate,
		"peer_formats", strings.Join(peer, ","))
	hash := remote.ZRTPHash
	s.do(func() {
		if hash != "" {
			s.peerHash(hash)
		}
		s.m.cfg.Emit(call.SecurityNegotiating{ID: s.id})
		if sdesOn {
			s.sdesOn = true
			s.log.Info("call encrypted by SDES (not end to end); trying ZRTP on top")
			s.m.cfg.Emit(call.EncryptedNotEndToEnd{ID: s.id})
		}
		s.handle(s.eng.Start(s.m.cfg.Now()))
	})
	s.setHold(dir == sdp.SendOnly || dir == sdp.Inactive || remote.Hold())
	return nil
}

// newStreamLocked makes the call's stream on s.conn; s.mu held.
func (s *Session) newStreamLocked(remote sdp.Remote, f codec.Format, onZRTP func([]byte)) error {
	eventPT := uint8(rtp.DefaultEventPT)
	if remote.EventPT > 0 {
		eventPT = uint8(remote.EventPT)
	}
	var onSRTP func()
	if onZRTP != nil {
		onSRTP = s.srtpIn // the peer's first SRTP can stand for a lost Conf2ACK
	}
	st, err := rtp.NewStream(rtp.Config{
		Conn:       s.conn,
		Remote:     remote.Addr,
		Format:     f,
		EventPT:    eventPT,
		AllowClear: !s.m.cfg.RequireEncryption(),
		OnZRTP:     onZRTP,
		OnSRTP:     onSRTP,
		Now:        s.m.cfg.Now,
	})
	if err != nil {
		return err
	}
	s.stream, s.format, s.started = st, f, true
	return nil
}

// peerHash gives the engine the peer's a=zrtp-hash from SDP; on loop. A
// Hello that does not match it is treated as forged.
func (s *Session) peerHash(hash string) {
	out, err := s.eng.SetPeerHelloHash(hash)
	if err != nil {
		s.log.Warn("peer's a=zrtp-hash is unreadable", "err", err)
	}
	s.handle(out)
}

// setHold attaches the call to the headset, or detaches it while on hold;
// s.mu held.
func (s *Session) setHold(hold bool) {
	if s.m.cfg.Headset == nil {
		return
	}
	if hold && s.detach != nil {
		s.detach()
		s.detach = nil
	}
	if !hold && s.detach == nil {
		a := headsetAudio(s.stream, s.format.SampleRate)
		if lh, ok := s.m.cfg.Headset.(LegHeadset); ok {
			s.detach = lh.AttachLeg(s.id, a)
		} else {
			s.detach = s.m.cfg.Headset.Attach(a)
		}
	}
}

// zrtpIn runs on the stream's reading goroutine: copy and hand to loop.
func (s *Session) zrtpIn(pkt []byte) {
	p := append([]byte(nil), pkt...)
	select {
	case s.ops <- func() {
		out, err := s.eng.Receive(p, s.m.cfg.Now())
		if err != nil {
			s.log.Debug("ZRTP packet refused", "err", err)
		}
		s.handle(out)
	}:
	default: // a flood: ZRTP retransmits, dropping is safe
	}
}

// srtpIn runs on the stream's reading goroutine when the peer's first
// SRTP packet passed authentication: for an initiator still waiting for
// Conf2ACK, that is one (RFC 6189 section 4.6).
func (s *Session) srtpIn() {
	select {
	case s.ops <- func() { s.handle(s.eng.PeerSRTP()) }:
	default: // a flood of ops: Conf2ACK or the next Confirm2 resend will do
	}
}

// do runs f on loop (never blocks the caller forever).
func (s *Session) do(f func()) {
	select {
	case s.ops <- f:
	case <-s.done:
	}
}

// loop owns the engine: packets, timers and commands, one at a time.
func (s *Session) loop() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if t, ok := s.eng.Deadline(); ok {
			timer.Reset(max(time.Until(t), 0))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-s.done:
			return
		case f := <-s.ops:
			f()
		case <-timer.C:
			s.handle(s.eng.Tick(s.m.cfg.Now()))
		}
	}
}

// handle carries out the engine's outputs; on loop.
func (s *Session) handle(out []zrtp.Output) {
	for _, o := range out {
		switch o := o.(type) {
		case zrtp.Send:
			s.mu.Lock()
			st := s.stream
			s.mu.Unlock()
			if st != nil {
				if err := st.SendZRTP(o.Packet); err != nil {
					s.log.Debug("ZRTP send failed", "err", err)
				}
			}
		case zrtp.ReceiveKeys:
			// We sent Confirm2: the responder may already send SRTP.
			// Decrypt it rather than play it as clear audio or drop it.
			if err := s.receiveSRTP(o.Keys); err != nil {
				s.log.Warn("SRTP receive keys could not be used before Conf2ACK", "err", err)
			}
		case zrtp.Secured:
			s.secured = true
			if err := s.enableSRTP(o.Keys); err != nil {
				s.log.Error("SRTP could not be switched on", "err", err)
				s.m.cfg.Emit(call.SecurityFailed{ID: s.id, Reason: "the encryption keys could not be used: " + err.Error()})
				continue
			}
			s.log.Info("call secured", "cipher", o.Cipher, "key_agreement", o.KeyAgreement, "verified", o.Verified)
			s.m.cfg.Emit(call.Secured{ID: s.id, SAS: o.SAS, Verified: o.Verified})
		case zrtp.Failed:
			if s.sdesOn {
				// SDES still protects the call; only end to end is missing,
				// which the tier already says.
				s.log.Info("ZRTP did not come up; the call stays encrypted by SDES", "code", o.Code, "err", o.Err)
				continue
			}
			s.log.Warn("ZRTP failed", "code", o.Code, "from_peer", o.FromPeer, "err", o.Err)
			s.m.cfg.Emit(call.SecurityFailed{ID: s.id, Reason: failReason(o)})
		case zrtp.CacheMismatch:
			s.log.Warn("ZRTP cache mismatch: the peer's retained secret changed")
			s.m.cfg.Emit(call.KeyMismatch{ID: s.id})
		case zrtp.CacheUpdate:
			if s.m.cfg.Cache == nil {
				continue
			}
			if err := s.m.cfg.Cache.Store(o.PeerZID, o.Secrets); err != nil {
				s.log.Error("ZRTP cache not saved", "err", err)
			}
		}
	}
}

func failReason(f zrtp.Failed) string {
	switch {
	case errors.Is(f.Err, zrtp.ErrHelloHashMismatch):
		// The engine timed out after Hellos that signalling did not vouch for.
		return "the other phone's ZRTP Hello does not match the call's signalling (a=zrtp-hash): someone may be in the middle; this call is not encrypted"
	case f.Code == 0:
		return "the other phone did not answer ZRTP: this call is not encrypted"
	case f.FromPeer:
		return fmt.Sprintf("the other phone stopped encryption (ZRTP error %#x): this call is not encrypted", uint32(f.Code))
	}
	return "encryption failed: " + f.Err.Error()
}

// receiveSRTP hands ZRTP's keys to the stream's receiving side only.
func (s *Session) receiveSRTP(k zrtp.SRTPKeys) error {
	return s.setKeys(k, (*rtp.Stream).EnableSRTPReceive)
}

// enableSRTP hands ZRTP's keys to the stream.
func (s *Session) enableSRTP(k zrtp.SRTPKeys) error { return s.setKeys(k, (*rtp.Stream).EnableSRTP) }

func (s *Session) setKeys(k zrtp.SRTPKeys, enable func(*rtp.Stream, rtp.Keys) error) error {
	p, err := rtp.ZRTPProfile(k.Cipher.String(), k.AuthTag.String())
	if err != nil {
		return err
	}
	s.mu.Lock()
	st := s.stream
	s.mu.Unlock()
	return enable(st, rtp.Keys{Profile: p, LocalKey: k.LocalKey, LocalSalt: k.LocalSalt, RemoteKey: k.RemoteKey, RemoteSalt: k.RemoteSalt})
}

// SetVerified records that the person compared the SAS (or withdrew that).
func (s *Session) SetVerified(v bool) error {
	errc := make(chan error, 1)
	s.do(func() {
		if !s.secured {
			errc <- errors.New("the call is not secured yet: there is no SAS to confirm")
			return
		}
		s.handle(s.eng.SetSASVerified(v))
		errc <- nil
	})
	select {
	case err := <-errc:
		return err
	case <-s.done:
		return errors.New("the call has ended")
	}
}

// SendDTMF sends keypad digits as RFC 4733 telephone-events.
func (s *Session) SendDTMF(digits string) error {
	s.mu.Lock()
	st := s.stream
	s.mu.Unlock()
	if st == nil {
		return errors.New("no media yet")
	}
	return st.SendDTMF(digits, 100*time.Millisecond)
}

// Close ends the leg's media and frees its socket.
func (s *Session) Close() error {
	s.once.Do(func() {
		close(s.done)
		s.wg.Wait()
		s.mu.Lock()
		if s.detach != nil {
			s.detach()
			s.detach = nil
		}
		st := s.stream
		s.mu.Unlock()
		if st != nil {
			st.Close()
		} else if s.conn != nil {
			s.conn.Close()
		}
	})
	return nil
}
