package zrtp

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

// reframe replaces the message of a packet and fixes its CRC, as an
// attacker on the path can.
func reframe(pkt []byte, edit func(msg []byte)) []byte {
	p, err := ParsePacket(pkt)
	if err != nil {
		panic(err)
	}
	msg := bytes.Clone(p.Message)
	edit(msg)
	p.Message = msg
	return p.Marshal()
}

func TestEngineTimers(t *testing.T) {
	t.Run("T1 Hello", func(t *testing.T) {
		a := newEndpoint(t, "a", testConfig(1))
		a.collect(a.e.Start(t0))
		now := t0
		var gaps []time.Duration
		for {
			d, ok := a.e.Deadline()
			if !ok {
				break
			}
			gaps = append(gaps, d.Sub(now))
			now = d
			a.collect(a.e.Tick(now))
		}
		want := []time.Duration{50, 100, 200}
		for len(want) < 21 {
			want = append(want, 200)
		}
		if len(gaps) != len(want) {
			t.Fatalf("%d timer firings, want %d: %v", len(gaps), len(want), gaps)
		}
		for i := range want {
			if gaps[i] != want[i]*time.Millisecond {
				t.Fatalf("gap %d is %v, want %v ms (all: %v)", i, gaps[i], want[i], gaps)
			}
		}
		if len(a.sent) != 21 { // the first Hello and 20 retransmissions
			t.Fatalf("sent %d Hellos, want 21", len(a.sent))
		}
		if len(a.failed) != 1 || !errors.Is(a.failed[0].Err, ErrNoPeer) {
			t.Fatalf("failed %v, want ErrNoPeer", a.failed)
		}
	})
	t.Run("T2 Commit", func(t *testing.T) {
		a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
		helloB := b.collect(b.e.Start(t0))[0]
		a.collect(a.e.Start(t0))
		if _, err := a.e.Receive(helloB, t0); err != nil {
			t.Fatal(err)
		}
		ack := Packet{Sequence: 9, SSRC: 2, Message: Marshal(Ack{Of: MsgHelloACK})}.Marshal()
		out, err := a.e.Receive(ack, t0)
		if err != nil {
			t.Fatal(err)
		}
		a.sent = nil
		a.collect(out)
		if len(a.sent) != 1 || a.sent[0] != MsgCommit {
			t.Fatalf("after Hello and HelloACK sent %v, want a Commit", a.sent)
		}
		now := t0
		var gaps []time.Duration
		for {
			d, ok := a.e.Deadline()
			if !ok {
				break
			}
			gaps = append(gaps, d.Sub(now))
			now = d
			a.collect(a.e.Tick(now))
		}
		want := []time.Duration{150, 300, 600, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200}
		if len(gaps) != len(want) {
			t.Fatalf("gaps %v, want %v ms", gaps, want)
		}
		for i := range want {
			if gaps[i] != want[i]*time.Millisecond {
				t.Fatalf("gaps %v, want %v ms", gaps, want)
			}
		}
		if len(a.sent) != 11 || len(a.failed) != 1 || !errors.Is(a.failed[0].Err, ErrTimeout) {
			t.Fatalf("sent %d Commits, failed %v", len(a.sent), a.failed)
		}
	})
}

// TestEngineRejectsSwappedDHPart2 is the check behind CVE-2016-6271: the
// responder must compare the DHPart2 it gets with the hvi of the Commit,
// otherwise a man in the middle could pick his public value after seeing
// the responder's.
func TestEngineRejectsSwappedDHPart2(t *testing.T) {
	for _, ka := range []Algo{KeyDH3k, KeyEC25, KeyX255} {
		t.Run(ka.String(), func(t *testing.T) {
			ca, cb := testConfig(1), testConfig(2)
			ca.KeyAgreements, cb.KeyAgreements = []Algo{ka}, []Algo{ka}
			a, b := newEndpoint(t, "a", ca), newEndpoint(t, "b", cb)
			mitm, err := newKeyPair(ka, detRand(99))
			if err != nil {
				t.Fatal(err)
			}
			var codes []ErrorCode
			l := &link{t: t, a: a, b: b, settle: true, tamper: func(from *endpoint, typ MessageType, pkt []byte) []byte {
				if code, ok := sentErrorCode(pkt); ok {
					codes = append(codes, code)
				}
				if typ != MsgDHPart2 {
					return pkt
				}
				// a valid public value, right H1, right length: only hvi differs
				return reframe(pkt, func(msg []byte) {
					copy(msg[messageHeaderLen+dhPartFixedLen:], mitm.public())
				})
			}}
			l.run()
			var resp, ini *endpoint
			for _, p := range []*endpoint{a, b} {
				if p.e.role == RoleResponder {
					resp = p
				} else {
					ini = p
				}
			}
			if resp == nil || len(resp.secured) != 0 || len(resp.failed) != 1 || resp.failed[0].Code != ErrCodeBadHVI {
				t.Fatalf("responder: secured %d failed %v", len(resp.secured), resp.failed)
			}
			if len(ini.secured) != 0 || len(ini.failed) != 1 || ini.failed[0].Code != ErrCodeBadHVI || !ini.failed[0].FromPeer {
				t.Fatalf("initiator: secured %d failed %v", len(ini.secured), ini.failed)
			}
			// RFC 6189 §5.9 0x62 "DH Error: hvi != hashed data", sent once
			// and ACKed
			if len(codes) != 1 || codes[0] != ErrCodeBadHVI || resp.failed[0].FromPeer {
				t.Fatalf("Error codes sent %v, responder failed %+v", codes, resp.failed[0])
			}
			if _, on := resp.e.Deadline(); on {
				t.Fatal("responder still resending its Error after the ErrorACK")
			}
		})
	}
}

func TestEngineDropsForgeries(t *testing.T) {
	// Each forgery must be dropped (Receive errors) and the genuine exchange
	// must still succeed: these checks fail for anyone who is not the peer,
	// so failing the session on them would hand a DoS to any sender.
	tests := []struct {
		name string
		typ  MessageType
		edit func(msg []byte)
		want error
	}{
		{"Commit H2 not in the Hello's chain", MsgCommit, func(m []byte) { m[messageHeaderLen] ^= 1 }, ErrHashChain},
		{"DHPart1 H1 not in the Hello's chain", MsgDHPart1, func(m []byte) { m[messageHeaderLen] ^= 1 }, ErrHashChain},
		{"DHPart2 H1 not in the Commit's chain", MsgDHPart2, func(m []byte) { m[messageHeaderLen] ^= 1 }, ErrHashChain},
		{"DHPart1 wrong length", MsgDHPart1, nil, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
			forged := 0
			l := &link{t: t, a: a, b: b}
			l.tamper = func(from *endpoint, typ MessageType, pkt []byte) []byte {
				if typ != tc.typ || forged > 0 {
					return pkt
				}
				forged++
				if tc.edit == nil { // shorten the public value by a word
					p, _ := ParsePacket(pkt)
					m := bytes.Clone(p.Message)
					m = append(m[:len(m)-12], m[len(m)-8:]...)
					m[3]--
					p.Message = m
					return p.Marshal()
				}
				return reframe(pkt, tc.edit)
			}
			l.run()
			if forged != 1 {
				t.Fatalf("no %v was forged", tc.typ)
			}
			found := false
			for _, err := range l.errs {
				found = found || errors.Is(err, tc.want)
			}
			if !found {
				t.Fatalf("errors %v, want one wrapping %v", l.errs, tc.want)
			}
			checkAgreement(t, a, b)
		})
	}
}

// sentErrorCode is the code of pkt if it is an Error message.
func sentErrorCode(pkt []byte) (ErrorCode, bool) {
	p, err := ParsePacket(pkt)
	if err != nil {
		return 0, false
	}
	m, err := ParseMessage(p.Message)
	if e, ok := m.(*ErrorMsg); ok && err == nil {
		return e.Code, true
	}
	return 0, false
}

// TestEngineFailsOnBadConfirm: a Confirm whose MAC fails, or whose H0 does
// not open the peer's DHPart, ends the session at once with Error 0x70
// (RFC 6189 §5.9), resent until ErrorACK; the peer learns it from the Error.
func TestEngineFailsOnBadConfirm(t *testing.T) {
	// reseal replaces a Confirm's H0 and seals it again with the sender's
	// own keys: the MAC is right, the hash chain is not.
	reseal := func(from *endpoint, which int) func(m []byte) []byte {
		return func(m []byte) []byte {
			e := from.e
			zk, mk := e.keys.zrtpKeyR, e.keys.macKeyR
			if which == 2 {
				zk, mk = e.keys.zrtpKeyI, e.keys.macKeyI
			}
			c, err := ParseMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			p, err := OpenConfirm(c.(*Confirm), e.hash, zk, mk)
			if err != nil {
				t.Fatal(err)
			}
			p.H0[0] ^= 1
			forged, err := SealConfirm(which, e.hash, zk, mk, c.(*Confirm).IV, p)
			if err != nil {
				t.Fatal(err)
			}
			return Marshal(forged)
		}
	}
	tests := []struct {
		name string
		typ  MessageType
		edit func(from *endpoint) func(m []byte) []byte
		want error
	}{
		{"Confirm1 encrypted part changed", MsgConfirm1, func(*endpoint) func([]byte) []byte {
			return func(m []byte) []byte { m[len(m)-1] ^= 1; return m }
		}, ErrConfirmMAC},
		{"Confirm2 confirm_mac changed", MsgConfirm2, func(*endpoint) func([]byte) []byte {
			return func(m []byte) []byte { m[messageHeaderLen] ^= 1; return m }
		}, ErrConfirmMAC},
		{"Confirm1 H0 not opening DHPart1", MsgConfirm1, func(from *endpoint) func([]byte) []byte { return reseal(from, 1) }, ErrHashChain},
		{"Confirm2 H0 not opening DHPart2", MsgConfirm2, func(from *endpoint) func([]byte) []byte { return reseal(from, 2) }, ErrHashChain},
	}
	for _, tc := range tests {
		for _, loseACK := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ErrorACK lost %v", tc.name, loseACK), func(t *testing.T) {
				a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
				var victim *endpoint
				var codes []ErrorCode
				l := &link{t: t, a: a, b: b, settle: true}
				l.tamper = func(from *endpoint, typ MessageType, pkt []byte) []byte {
					if code, ok := sentErrorCode(pkt); ok {
						codes = append(codes, code)
					}
					if typ != tc.typ || victim != nil {
						return pkt
					}
					victim = l.other(from)
					edit := tc.edit(from)
					p, _ := ParsePacket(pkt)
					p.Message = edit(bytes.Clone(p.Message))
					return p.Marshal()
				}
				l.drop = func(from *endpoint, typ MessageType) bool { return loseACK && typ == MsgErrorACK }
				l.run()
				if victim == nil {
					t.Fatalf("no %v was forged", tc.typ)
				}
				peer := l.other(victim)
				if len(victim.secured) != 0 || len(victim.failed) != 1 {
					t.Fatalf("%s: secured %d failed %v", victim.name, len(victim.secured), victim.failed)
				}
				f := victim.failed[0]
				if f.Code != ErrCodeBadConfirmMAC || f.FromPeer || !errors.Is(f.Err, tc.want) {
					t.Fatalf("%s failed %+v, want code %v from us wrapping %v", victim.name, f, ErrCodeBadConfirmMAC, tc.want)
				}
				if len(peer.failed) != 1 || peer.failed[0].Code != ErrCodeBadConfirmMAC || !peer.failed[0].FromPeer {
					t.Fatalf("%s failed %v, want the Error from %s", peer.name, peer.failed, victim.name)
				}
				if tc.typ == MsgConfirm1 && len(peer.secured) != 0 {
					t.Fatalf("%s secured before Confirm2", peer.name)
				}
				wantErrors := 1
				if loseACK {
					wantErrors = 1 + t2Retries
				}
				if len(codes) != wantErrors {
					t.Fatalf("Error sent %d times (%v), want %d", len(codes), codes, wantErrors)
				}
				for _, c := range codes {
					if c != ErrCodeBadConfirmMAC {
						t.Fatalf("Error codes %v", codes)
					}
				}
				if _, on := victim.e.Deadline(); on {
					t.Fatal("Error still being resent after the exchange settled")
				}
				if _, err := victim.e.Receive(mustPacket(t, Ack{Of: MsgErrorACK}), l.now); err != nil {
					t.Fatalf("a late ErrorACK: %v", err)
				}
			})
		}
	}
}

// mustPacket frames a message as a ZRTP packet.
func mustPacket(t *testing.T, m Message) []byte {
	t.Helper()
	return Packet{Sequence: 1, SSRC: 9, Message: Marshal(m)}.Marshal()
}

func TestEngineFatalErrors(t *testing.T) {
	t.Run("equal ZIDs", func(t *testing.T) {
		a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(1))
		(&link{t: t, a: a, b: b}).run()
		if len(a.failed) == 0 || a.failed[0].Code != ErrCodeEqualZID {
			t.Fatalf("failed %v", a.failed)
		}
	})
	t.Run("bad public value", func(t *testing.T) {
		ca, cb := testConfig(1), testConfig(2)
		ca.KeyAgreements, cb.KeyAgreements = []Algo{KeyDH3k}, []Algo{KeyDH3k}
		a, b := newEndpoint(t, "a", ca), newEndpoint(t, "b", cb)
		l := &link{t: t, a: a, b: b, tamper: func(from *endpoint, typ MessageType, pkt []byte) []byte {
			if typ != MsgDHPart1 {
				return pkt
			}
			return reframe(pkt, func(m []byte) { // pvr = 1
				pv := m[messageHeaderLen+dhPartFixedLen : len(m)-macLen]
				clear(pv)
				pv[len(pv)-1] = 1
			})
		}}
		l.run()
		for _, p := range []*endpoint{a, b} {
			if len(p.secured) != 0 || len(p.failed) != 1 || p.failed[0].Code != ErrCodeBadPV {
				t.Fatalf("%s: secured %d failed %v", p.name, len(p.secured), p.failed)
			}
		}
	})
	t.Run("Commit picks a cipher we do not offer", func(t *testing.T) {
		ca, cb := testConfig(1), testConfig(2)
		cb.Ciphers = []Algo{CipherAES1}
		a, b := newEndpoint(t, "a", ca), newEndpoint(t, "b", cb)
		l := &link{t: t, a: a, b: b, tamper: func(from *endpoint, typ MessageType, pkt []byte) []byte {
			if typ != MsgCommit || from != a {
				return pkt
			}
			return reframe(pkt, func(m []byte) { copy(m[messageHeaderLen+48:], "AES3") })
		}}
		l.drop = func(from *endpoint, typ MessageType) bool { return from == b && typ == MsgCommit }
		l.run()
		if len(b.failed) != 1 || b.failed[0].Code != ErrCodeCipherUnsupported {
			t.Fatalf("b failed %v", b.failed)
		}
		if len(a.failed) != 1 || !a.failed[0].FromPeer {
			t.Fatalf("a failed %v", a.failed)
		}
	})
}

func TestEngineAfterSecure(t *testing.T) {
	a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
	(&link{t: t, a: a, b: b}).run()
	checkAgreement(t, a, b)
	now := t0.Add(time.Minute)
	// GoClear is refused with Error 0x100; the session stays secure.
	gc := Packet{Sequence: 1, SSRC: 2, Message: Marshal(&GoClear{})}.Marshal()
	out, err := a.e.Receive(gc, now)
	if err != nil {
		t.Fatal(err)
	}
	a.sent = nil
	a.collect(out)
	if len(a.sent) != 1 || a.sent[0] != MsgError || len(a.failed) != 0 || a.e.state != stSecure {
		t.Fatalf("GoClear: sent %v failed %v state %v", a.sent, a.failed, a.e.state)
	}
	// An Error after success is acknowledged and changes nothing.
	em := Packet{Sequence: 2, SSRC: 2, Message: Marshal(&ErrorMsg{Code: ErrCodeSoftware})}.Marshal()
	out, _ = a.e.Receive(em, now)
	a.sent = nil
	a.collect(out)
	if len(a.sent) != 1 || a.sent[0] != MsgErrorACK || len(a.failed) != 0 {
		t.Fatalf("Error after secure: sent %v failed %v", a.sent, a.failed)
	}
	// Random packets are errors, not panics.
	if _, err := a.e.Receive([]byte("not zrtp at all"), now); !errors.Is(err, ErrNotZRTP) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestEngineReceiveBeforeStart(t *testing.T) {
	a := newEndpoint(t, "a", testConfig(1))
	if _, err := a.e.Receive(nil, t0); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("err = %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"zero ZID":        {},
		"long client id":  {ZID: [12]byte{1}, ClientID: "this client id is too long"},
		"unknown cipher":  {ZID: [12]byte{1}, Ciphers: []Algo{AlgoFromString("2FS1")}},
		"too many hashes": {ZID: [12]byte{1}, Hashes: []Algo{HashS256, HashS256, HashS256, HashS256, HashS256, HashS256, HashS256, HashS256}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzEngineReceive feeds arbitrary packets to engines in each state of a
// real exchange: nothing may panic.
func FuzzEngineReceive(f *testing.F) {
	a, b := newEndpoint(f, "a", testConfig(1)), newEndpoint(f, "b", testConfig(2))
	var wire [][]byte
	l := &link{t: f, a: a, b: b, tamper: func(_ *endpoint, _ MessageType, pkt []byte) []byte {
		wire = append(wire, pkt)
		return pkt
	}}
	l.run()
	for _, p := range wire {
		f.Add(p, uint8(len(wire)))
	}
	f.Fuzz(func(t *testing.T, pkt []byte, stage uint8) {
		// replay the exchange up to stage, then deliver pkt to both sides
		x, y := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
		x.e.Start(t0)
		y.e.Start(t0)
		for i, p := range wire {
			if i >= int(stage)%(len(wire)+1) {
				break
			}
			x.e.Receive(p, t0)
			y.e.Receive(p, t0)
		}
		x.e.Receive(pkt, t0)
		y.e.Receive(pkt, t0)
		x.e.Tick(t0.Add(time.Hour))
	})
}

// TestEngineResponderGivesUp: a responder does not retransmit, so it must
// notice when the initiator goes silent.
func TestEngineResponderGivesUp(t *testing.T) {
	for _, stopAfter := range []MessageType{MsgDHPart1, MsgConfirm1} {
		t.Run("silent after "+stopAfter.String(), func(t *testing.T) {
			a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
			var resp *endpoint
			silent := false
			l := &link{t: t, a: a, b: b}
			l.drop = func(from *endpoint, typ MessageType) bool {
				if typ == stopAfter {
					resp = from
				}
				if resp != nil && from != resp && typ != MsgHello {
					silent = true
				}
				return silent && from != resp
			}
			l.run()
			if resp == nil {
				t.Fatal("no responder")
			}
			if len(resp.secured) != 0 || len(resp.failed) != 1 || !errors.Is(resp.failed[0].Err, ErrTimeout) {
				t.Fatalf("responder: secured %d failed %v", len(resp.secured), resp.failed)
			}
			if l.now.Sub(t0) < responderWait {
				t.Fatalf("gave up after %v, before the initiator could have", l.now.Sub(t0))
			}
		})
	}
	t.Run("HelloACK but no Hello", func(t *testing.T) {
		a := newEndpoint(t, "a", testConfig(1))
		a.collect(a.e.Start(t0))
		ack := Packet{Sequence: 1, SSRC: 2, Message: Marshal(Ack{Of: MsgHelloACK})}.Marshal()
		if _, err := a.e.Receive(ack, t0); err != nil {
			t.Fatal(err)
		}
		d, ok := a.e.Deadline()
		if !ok || d.Sub(t0) != helloWait {
			t.Fatalf("deadline %v %v", d, ok)
		}
		a.collect(a.e.Tick(d))
		if len(a.failed) != 1 || !errors.Is(a.failed[0].Err, ErrTimeout) || len(a.sent) != 1 {
			t.Fatalf("failed %v, sent %v", a.failed, a.sent)
		}
	})
}
