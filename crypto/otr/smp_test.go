package otr

import (
	"testing"

	xotr "golang.org/x/crypto/otr"
)

func authenticate(t *testing.T, p *peer, question, secret string) []string {
	t.Helper()
	out, err := p.c.Authenticate(question, []byte(secret))
	if err != nil {
		t.Fatalf("%s Authenticate: %v", p.name, err)
	}
	return out
}

func TestSMP(t *testing.T) {
	tests := []struct {
		name           string
		policy         Policy
		question       string
		secretA, secrB string
		want           EventKind
	}{
		{"v3 same secret", policyV3, "", "correct horse", "correct horse", SMPSucceeded},
		{"v3 with question", policyV3, "where did we meet?", "Berlin", "Berlin", SMPSucceeded},
		{"v3 different secret", policyV3, "", "correct horse", "battery staple", SMPFailed},
		{"v2 same secret", policyV2, "q?", "s", "s", SMPSucceeded},
		{"v2 different secret", policyV2, "", "a", "b", SMPFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alice := newPeer(t, "alice", tt.policy, 0x1111, 0)
			bob := newPeer(t, "bob", tt.policy, 0x2222, 0)
			secure(t, alice, bob)
			deliver(t, alice, bob, authenticate(t, alice, tt.question, tt.secretA))
			need := bob.has(SMPSecretNeeded)
			if need == nil || need.Question != tt.question {
				t.Fatalf("bob: %v", bob.events)
			}
			deliver(t, bob, alice, authenticate(t, bob, "ignored", tt.secrB))
			for _, p := range []*peer{alice, bob} {
				if p.has(tt.want) == nil {
					t.Fatalf("%s: no %v in %v", p.name, tt.want, p.events)
				}
				if p.c.smp.step != smpExpect1 || p.c.smp.awaitingSecret {
					t.Fatalf("%s: SMP state not reset", p.name)
				}
			}
			if alice.has(SMPInProgress) == nil {
				t.Fatal("no progress event")
			}
			// The conversation goes on, and SMP can run again.
			deliver(t, alice, bob, alice.send(t, "after smp"))
			alice.events, bob.events = nil, nil
			deliver(t, bob, alice, authenticate(t, bob, "", "again"))
			deliver(t, alice, bob, authenticate(t, alice, "", "again"))
			if alice.has(SMPSucceeded) == nil || bob.has(SMPSucceeded) == nil {
				t.Fatalf("second run: %v / %v", alice.events, bob.events)
			}
		})
	}
}

func TestSMPAbort(t *testing.T) {
	t.Run("responder aborts instead of answering", func(t *testing.T) {
		alice := newPeer(t, "alice", policyV3, 0x1111, 0)
		bob := newPeer(t, "bob", policyV3, 0x2222, 0)
		secure(t, alice, bob)
		deliver(t, alice, bob, authenticate(t, alice, "", "x"))
		abort, err := bob.c.AbortSMP()
		if err != nil {
			t.Fatal(err)
		}
		deliver(t, bob, alice, abort)
		if alice.has(SMPAborted) == nil || alice.c.smp.step != smpExpect1 || bob.c.smp.awaitingSecret {
			t.Fatalf("abort not handled: %v", alice.events)
		}
	})
	t.Run("initiator aborts after message 2", func(t *testing.T) {
		alice := newPeer(t, "alice", policyV3, 0x1111, 0)
		bob := newPeer(t, "bob", policyV3, 0x2222, 0)
		secure(t, alice, bob)
		deliver(t, alice, bob, authenticate(t, alice, "", "x"))
		smp2 := authenticate(t, bob, "", "x")
		abort, _ := alice.c.AbortSMP()
		deliver(t, alice, bob, abort)
		if bob.has(SMPAborted) == nil || bob.c.smp.step != smpExpect1 {
			t.Fatalf("bob: %v", bob.events)
		}
		// Message 2 arriving after the abort is out of order: alice
		// answers with an abort of her own.
		alice.events = nil
		deliver(t, bob, alice, smp2)
		if alice.has(SMPAborted) == nil || alice.has(SMPSucceeded) != nil {
			t.Fatalf("alice: %v", alice.events)
		}
	})
	t.Run("restart while under way", func(t *testing.T) {
		alice := newPeer(t, "alice", policyV3, 0x1111, 0)
		bob := newPeer(t, "bob", policyV3, 0x2222, 0)
		secure(t, alice, bob)
		authenticate(t, alice, "", "lost") // message 1 never delivered
		deliver(t, alice, bob, authenticate(t, alice, "", "s"))
		deliver(t, bob, alice, authenticate(t, bob, "", "s"))
		if alice.has(SMPSucceeded) == nil || bob.has(SMPSucceeded) == nil {
			t.Fatalf("%v / %v", alice.events, bob.events)
		}
	})
	t.Run("not encrypted", func(t *testing.T) {
		alice := newPeer(t, "alice", policyV3, 0x1111, 0)
		if _, err := alice.c.Authenticate("", []byte("x")); err != ErrNotEncrypted {
			t.Fatal(err)
		}
		if _, err := alice.c.AbortSMP(); err != ErrNotEncrypted {
			t.Fatal(err)
		}
	})
}

func TestSMPBadProof(t *testing.T) {
	alice := newPeer(t, "alice", policyV3, 0x1111, 0)
	bob := newPeer(t, "bob", policyV3, 0x2222, 0)
	secure(t, alice, bob)
	start, err := alice.c.smpStart("", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := decodeSMP(start.value, 6)
	v[1].Add(v[1], one()) // break c2
	msgs, err := alice.c.sendData(nil, []tlv{{typ: tlvSMP1, value: encodeSMP(v...)}}, flagIgnoreUnreadable)
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, alice, bob, msgs)
	if e := bob.has(SMPFailed); e == nil || bob.has(SMPSecretNeeded) != nil {
		t.Fatalf("bad proof accepted: %v", bob.events)
	}
	if alice.has(SMPAborted) == nil {
		t.Fatalf("no abort sent back: %v", alice.events)
	}
}

func TestInteropXCryptoSMP(t *testing.T) {
	tests := []struct {
		name          string
		weStart       bool
		question      string
		ours, theirs  string
		wantSucceeded bool
	}{
		{"we start, same", true, "", "shared", "shared", true},
		{"we start with question, same", true, "pet's name?", "rex", "rex", true},
		{"we start, different", true, "", "shared", "other", false},
		{"they start, same", false, "", "shared", "shared", true},
		{"they start with question, same", false, "colour?", "blue", "blue", true},
		{"they start, different", false, "", "shared", "other", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := newPeer(t, "alice", policyV3, 0x1111, 0)
			x := newXPeer(t, "bob", 0)
			bounce(t, us, x, []string{us.c.QueryMessage()}, nil)
			checkXSecure(t, us, x)
			if tt.weStart {
				bounce(t, us, x, authenticate(t, us, tt.question, tt.ours), nil)
				if !x.has(xotr.SMPSecretNeeded) || x.c.SMPQuestion() != tt.question {
					t.Fatalf("x/crypto/otr: %v, question %q", x.changes, x.c.SMPQuestion())
				}
				out, err := x.c.Authenticate("", []byte(tt.theirs))
				if err != nil {
					t.Fatal(err)
				}
				bounce(t, us, x, nil, strs(out))
			} else {
				out, err := x.c.Authenticate(tt.question, []byte(tt.theirs))
				if err != nil {
					t.Fatal(err)
				}
				bounce(t, us, x, nil, strs(out))
				need := us.has(SMPSecretNeeded)
				if need == nil || need.Question != tt.question {
					t.Fatalf("us: %v", us.events)
				}
				bounce(t, us, x, authenticate(t, us, "", tt.ours), nil)
			}
			xWant, usWant := xotr.SMPFailed, SMPFailed
			if tt.wantSucceeded {
				xWant, usWant = xotr.SMPComplete, SMPSucceeded
			}
			if !x.has(xWant) || us.has(usWant) == nil {
				t.Fatalf("x/crypto/otr %v, us %v", x.changes, us.events)
			}
		})
	}
}
