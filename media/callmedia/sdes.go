package callmedia

import (
	"errors"

	"github.com/padlock-phone/padlock/media/rtp"
	"github.com/padlock-phone/padlock/media/sdp"
)

// SDESRefusal says why this phone takes no SDES-SRTP now, "" if it does:
// with "require end-to-end encryption" on, keys that the SIP servers
// carried are not enough. (Whether the signalling is TLS is the driver's
// to check.)
func (s *Session) SDESRefusal() string {
	if s.m.cfg.RequireEndToEnd() {
		return "this phone requires end-to-end encryption (ZRTP); SDES keys pass through the SIP servers"
	}
	return ""
}

// SetSDES keys the call's SRTP from SDES lines before Start: ours protects
// what we send, theirs checks what we receive. ZRTP still runs; when it
// secures the call its keys replace these.
func (s *Session) SetSDES(ours, theirs sdp.Crypto) error {
	if ours.Suite != theirs.Suite {
		return errors.New("callmedia: SDES lines of different suites")
	}
	if _, err := sdesProfile(ours.Suite); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("callmedia: SDES keys after the media started")
	}
	s.sdes = &[2]sdp.Crypto{ours, theirs}
	return nil
}

func sdesProfile(suite string) (rtp.Profile, error) {
	switch suite {
	case sdp.SuiteAESGCM128:
		return rtp.AEADAES128GCM, nil
	case sdp.SuiteAESCM128HS:
		return rtp.AES128CMHMACSHA180, nil
	}
	return 0, errors.New("callmedia: no SRTP profile for SDES suite " + suite)
}

func sdesKeys(ours, theirs sdp.Crypto) rtp.Keys {
	p, _ := sdesProfile(ours.Suite)
	lk, ls := ours.KeySalt()
	rk, rs := theirs.KeySalt()
	return rtp.Keys{Profile: p, LocalKey: lk, LocalSalt: ls, RemoteKey: rk, RemoteSalt: rs}
}
