package callmedia

import (
	"errors"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/rtp"
	"github.com/padlock-phone/padlock/media/sdp"
)

// NewICESession prepares the media of a call whose path an ICE agent will
// find later (a Jingle call): the ZRTP engine exists at once, so its Hello
// hash can go into the session-initiate or session-accept, but there is
// no socket until StartOn or StartDTLS is given the selected pair.
func (m *Media) NewICESession(id call.ID) (*Session, error) {
	return m.newSession(id, nil)
}

// StartOn starts the call's media on conn (the ICE pair) with ZRTP, as
// Start does on a SIP call's own socket. remote.Addr should be the pair's
// remote address.
func (s *Session) StartOn(conn rtp.PacketConn, remote sdp.Remote, f codec.Format, dir sdp.Direction) error {
	s.mu.Lock()
	if s.conn != nil {
		s.mu.Unlock()
		return errors.New("callmedia: the call's media path is already set")
	}
	s.conn = conn
	s.mu.Unlock()
	return s.Start(remote, f, dir)
}

// StartDTLS starts the call's media on conn with SRTP keys from a DTLS
// handshake that checked the peer's certificate against the fingerprint
// in signalling. No ZRTP runs: the call is encrypted but has no SAS to
// compare, so it is reported as call.SecuredUnverifiable.
func (s *Session) StartDTLS(conn rtp.PacketConn, remote sdp.Remote, f codec.Format, dir sdp.Direction, keys rtp.Keys, localFP, peerFP string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil || s.started {
		return errors.New("callmedia: the call's media path is already set")
	}
	s.conn = conn
	if err := s.newStreamLocked(remote, f, nil); err != nil {
		return err
	}
	if err := s.stream.EnableSRTP(keys); err != nil {
		return err
	}
	s.setHold(dir == sdp.SendOnly || dir == sdp.Inactive || remote.Hold())
	s.log.Info("call encrypted with DTLS-SRTP", "profile", keys.Profile.String())
	// Negotiating first: a brain that does not know the unverifiable tier
	// yet must not keep showing the call as clear (ALERT) while it is
	// encrypted.
	s.m.cfg.Emit(call.SecurityNegotiating{ID: s.id})
	s.m.cfg.Emit(call.SecuredUnverifiable{ID: s.id, LocalFingerprint: localFP, PeerFingerprint: peerFP})
	return nil
}

// SetHold follows a hold or unhold the other side announced without an
// offer/answer (a Jingle session-info), or that this phone asked for.
func (s *Session) SetHold(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		s.setHold(on)
	}
}
