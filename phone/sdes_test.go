package phone

import (
	"reflect"
	"testing"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/hw"
)

// TestSecuredUnverifiable: DTLS-SRTP keys (Jingle without ZRTP) put a call
// in the same tier as SDES, said in its own words; never a downgrade.
func TestSecuredUnverifiable(t *testing.T) {
	ev := call.SecuredUnverifiable{ID: cur, LocalFingerprint: "AA", PeerFingerprint: "BB"}
	s, cmds := step(states()["active+nego"], ev, t0)
	if s.Calls[0].Security != Encrypted || !reflect.DeepEqual(cmds, []Command{cmdAnnounce{What: NotVerifiable}}) {
		t.Errorf("negotiating + DTLS keys: %v, %#v", s.Calls[0].Security, cmds)
	}
	if d := s.Calls[0].DTLS; d.LocalFingerprint != "AA" || d.PeerFingerprint != "BB" {
		t.Errorf("the call keeps the fingerprints for the web admin: %+v", d)
	}
	if got := lamps(s)[hw.Lock]; got != hw.SlowBlink {
		t.Errorf("LOCK %v, want a slow blink", got)
	}
	if s, cmds := step(states()["active+verify"], ev, t0); s.Calls[0].Security != Verified || cmds != nil || s.Calls[0].DTLS.PeerFingerprint != "" {
		t.Errorf("a verified call took DTLS keys as a downgrade: %v, %#v, %+v", s.Calls[0].Security, cmds, s.Calls[0].DTLS)
	}
}

// TestEncryptedNotEndToEnd: SDES keys (over SIP-TLS) make a call
// "encrypted, not end to end": said once, LOCK blinking slowly, no SAS; ZRTP
// on top replaces it; and it never downgrades a call that has ZRTP keys.
func TestEncryptedNotEndToEnd(t *testing.T) {
	sdes := call.EncryptedNotEndToEnd{ID: cur}
	for _, tt := range []struct {
		from     string
		want     Security
		cmds     []Command
		lock     hw.Pattern
		thenZRTP bool // a later ZRTP Secured takes over
	}{
		{"active", Encrypted, []Command{cmdAnnounce{What: NotEndToEnd}}, hw.SlowBlink, true},
		{"active+nego", Encrypted, []Command{cmdAnnounce{What: NotEndToEnd}}, hw.SlowBlink, true},
		{"active+secure", Secured, nil, hw.Blink, false},
		{"active+verify", Verified, nil, hw.On, false},
	} {
		t.Run(tt.from, func(t *testing.T) {
			s, cmds := step(states()[tt.from], sdes, t0)
			if got := s.Calls[0].Security; got != tt.want {
				t.Errorf("security %v, want %v", got, tt.want)
			}
			if !reflect.DeepEqual(cmds, tt.cmds) {
				t.Errorf("commands %#v, want %#v", cmds, tt.cmds)
			}
			if got := lamps(s)[hw.Lock]; got != tt.lock {
				t.Errorf("LOCK %v, want %v", got, tt.lock)
			}
			if !tt.thenZRTP {
				return
			}
			s, cmds = step(s, call.Secured{ID: cur, SAS: "ab12"}, t0)
			if s.Calls[0].Security != Secured || s.Calls[0].SAS != "ab12" || len(cmds) != 1 {
				t.Errorf("ZRTP after SDES: %v %q, commands %#v", s.Calls[0].Security, s.Calls[0].SAS, cmds)
			}
			if got := lamps(s)[hw.Lock]; got != hw.Blink {
				t.Errorf("LOCK after ZRTP %v, want blink", got)
			}
		})
	}
}
