package otr

import (
	"errors"
	"math/big"
	"testing"
)

// akeSteps runs a v3 AKE by hand and returns each message: commit (alice),
// dhkey (bob), revealsig (alice), sig (bob).
type akeRun struct {
	alice, bob                    *peer
	commit, dhKey, revealSig, sig string
}

func recv1(t *testing.T, p *peer, msg string) []string {
	t.Helper()
	_, out, ev, err := p.c.Receive(msg)
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	p.events = append(p.events, ev...)
	return out
}

func startAKERun(t *testing.T, policy Policy) *akeRun {
	r := &akeRun{
		alice: newPeer(t, "alice", policy, 0x1111, 0),
		bob:   newPeer(t, "bob", policy, 0x2222, 0),
	}
	r.commit = recv1(t, r.alice, r.bob.c.QueryMessage())[0]
	r.dhKey = recv1(t, r.bob, r.commit)[0]
	r.revealSig = recv1(t, r.alice, r.dhKey)[0]
	return r
}

func TestAKERetransmissions(t *testing.T) {
	r := startAKERun(t, policyV3)
	// A repeated D-H Key gets the same Reveal Signature again.
	if again := recv1(t, r.alice, r.dhKey); len(again) != 1 || again[0] != r.revealSig {
		t.Fatalf("D-H Key repeat answered with %q", again)
	}
	// A D-H Key with another g^y is ignored.
	m := mustParse(t, r.dhKey)
	m.gy = big.NewInt(5)
	if out := recv1(t, r.alice, encodeWire(m.marshal())); len(out) != 0 {
		t.Fatalf("foreign D-H Key answered: %q", out)
	}
	// A repeated commit (bob awaiting the Reveal Signature) gets the same
	// D-H Key.
	if again := recv1(t, r.bob, r.commit); len(again) != 1 || again[0] != r.dhKey {
		t.Fatalf("commit repeat answered with %q", again)
	}
	r.sig = recv1(t, r.bob, r.revealSig)[0]
	recv1(t, r.alice, r.sig)
	checkSecure(t, r.alice, r.bob)
}

func TestAKERejects(t *testing.T) {
	tests := []struct {
		name   string
		target string // which message to spoil
		spoil  func(m *wireMsg)
	}{
		{"reveal sig MAC", "revealsig", func(m *wireMsg) { m.mac[0] ^= 1 }},
		{"reveal sig ciphertext", "revealsig", func(m *wireMsg) { m.encSig[5] ^= 1 }},
		{"revealed r", "revealsig", func(m *wireMsg) { m.r[0] ^= 1 }},
		{"short r", "revealsig", func(m *wireMsg) { m.r = m.r[:8] }},
		{"sig MAC", "sig", func(m *wireMsg) { m.mac[3] ^= 1 }},
		{"sig ciphertext", "sig", func(m *wireMsg) { m.encSig[len(m.encSig)-1] ^= 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startAKERun(t, policyV3)
			target := r.revealSig
			to := r.bob
			if tt.target == "sig" {
				r.sig = recv1(t, r.bob, r.revealSig)[0]
				target, to = r.sig, r.alice
			}
			m := mustParse(t, target)
			tt.spoil(m)
			_, out, _, err := to.c.Receive(encodeWire(m.marshal()))
			if !errors.Is(err, errAKE) || len(out) != 0 || to.c.IsEncrypted() {
				t.Fatalf("spoilt message: err %v, out %q, encrypted %v", err, out, to.c.IsEncrypted())
			}
			if tt.target == "revealsig" {
				// The genuine message still completes the AKE.
				r.sig = recv1(t, r.bob, r.revealSig)[0]
				recv1(t, r.alice, r.sig)
				checkSecure(t, r.alice, r.bob)
			}
		})
	}
	t.Run("g^y out of range", func(t *testing.T) {
		for _, gy := range []*big.Int{big.NewInt(0), big.NewInt(1), new(big.Int).Sub(dhPrime, big.NewInt(1)), dhPrime} {
			r := startAKERun(t, policyV3)
			r.alice.c.ake.state = authAwaitingDHKey // rewind: alice awaits the D-H Key again
			m := mustParse(t, r.dhKey)
			m.gy = gy
			if _, _, _, err := r.alice.c.Receive(encodeWire(m.marshal())); !errors.Is(err, errAKE) {
				t.Fatalf("g^y = %v accepted: %v", gy, err)
			}
		}
	})
	t.Run("reveal sig from another instance", func(t *testing.T) {
		r := startAKERun(t, policyV3)
		m := mustParse(t, r.revealSig)
		m.senderTag = 0x9999
		if out := recv1(t, r.bob, encodeWire(m.marshal())); len(out) != 0 || r.bob.c.IsEncrypted() {
			t.Fatal("reveal signature from another instance used")
		}
	})
	t.Run("v2 D-H Key during v3 AKE", func(t *testing.T) {
		r := startAKERun(t, policyV3)
		r.alice.c.ake.state = authAwaitingDHKey
		m := mustParse(t, r.dhKey)
		m.version = 2
		if out := recv1(t, r.alice, encodeWire(m.marshal())); len(out) != 0 {
			t.Fatal("v2 D-H Key answered in a v3 AKE")
		}
	})
}

func TestAKEKeysDiffer(t *testing.T) {
	// The derived values must all differ from each other (a cheap guard
	// against a byte mix-up in the derivation).
	k := deriveAKEKeys(big.NewInt(123456789))
	vals := [][]byte{k.ssid[:], k.c[:], k.cp[:], k.m1[:], k.m2[:], k.m1p[:], k.m2p[:]}
	for i := range vals {
		for j := i + 1; j < len(vals); j++ {
			if string(vals[i]) == string(vals[j]) {
				t.Fatalf("derived values %d and %d are equal", i, j)
			}
		}
	}
	a := deriveDataKeys(big.NewInt(10), big.NewInt(5), big.NewInt(77))
	b := deriveDataKeys(big.NewInt(5), big.NewInt(10), big.NewInt(77))
	if a.sendAES != b.recvAES || a.recvAES != b.sendAES || a.sendMAC != b.recvMAC || a.extra != b.extra || a.sendAES == a.recvAES {
		t.Fatal("high and low ends do not mirror each other")
	}
}

func TestSendRejectsNUL(t *testing.T) {
	alice := newPeer(t, "alice", policyV3, 0x1111, 0)
	if _, err := alice.c.Send("a\x00\x00\x01\x00\x00"); err == nil {
		t.Fatal("NUL accepted")
	}
}
