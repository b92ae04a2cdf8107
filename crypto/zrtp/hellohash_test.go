package zrtp

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPeerHelloHashVectors(t *testing.T) {
	ex := loadExchange(t)
	hello := ex.packets["hello_pjs"]
	right := ex.hashes["pjs"] // bzrtp's ZRTPHASHPATTERN
	wrong := "1.10 00" + right[7:]
	tests := []struct {
		name, hash string
		want       error
	}{
		{"matching", right, nil},
		{"matching without version", right[5:], nil},
		{"matching upper case", strings.ToUpper(right), nil},
		{"wrong (bzrtp's ZRTPHASHPATTERN_WRONG)", wrong, ErrHelloHashMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(1)
			cfg.PeerHelloHash = tc.hash
			a := newEndpoint(t, "a", cfg)
			a.e.Start(t0)
			_, err := a.e.Receive(hello, t0)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	for _, bad := range []string{"1.10 xyz", "1.10 abcd", ""} {
		cfg := testConfig(1)
		cfg.PeerHelloHash = bad
		if _, err := New(cfg); bad != "" && err == nil {
			t.Errorf("New accepted a=zrtp-hash %q", bad)
		}
	}
}

func TestPeerHelloHashDropsForgedHello(t *testing.T) {
	b := newEndpoint(t, "b", testConfig(2))
	ca := testConfig(1)
	ca.PeerHelloHash = b.e.HelloHash()
	a := newEndpoint(t, "a", ca)
	// someone races the real peer with a Hello of his own
	mallory := newEndpoint(t, "m", testConfig(3))
	forged := mallory.collect(mallory.e.Start(t0))[0]
	a.collect(a.e.Start(t0))
	if _, err := a.e.Receive(forged, t0); !errors.Is(err, ErrHelloHashMismatch) {
		t.Fatalf("forged Hello: err = %v", err)
	}
	l := &link{t: t, a: a, b: b}
	l.run()
	sa, _ := checkAgreement(t, a, b)
	if sa.PeerZID != b.e.cfg.ZID {
		t.Fatal("secured with the wrong peer")
	}
}

func TestSetPeerHelloHashLate(t *testing.T) {
	a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
	(&link{t: t, a: a, b: b}).run()
	checkAgreement(t, a, b)
	if out, err := a.e.SetPeerHelloHash(b.e.HelloHash()); err != nil || len(out) != 0 {
		t.Fatalf("matching hash: %v %v", out, err)
	}
	mallory := newEndpoint(t, "m", testConfig(3))
	out, err := a.e.SetPeerHelloHash(mallory.e.HelloHash())
	if err != nil {
		t.Fatal(err)
	}
	a.collect(out)
	if len(a.failed) != 1 || !errors.Is(a.failed[0].Err, ErrHelloHashMismatch) {
		t.Fatalf("late mismatching hash: failed %v", a.failed)
	}
	if _, err := a.e.SetPeerHelloHash("nonsense"); err == nil {
		t.Fatal("bad hash accepted")
	}
}

// TestPeerHelloHashOnlyForgedHellos: when every Hello that comes fails the
// signalled a=zrtp-hash, each is dropped and the discovery timer fails the
// session naming the mismatch, not as a peer that does not speak ZRTP.
func TestPeerHelloHashOnlyForgedHellos(t *testing.T) {
	for _, acked := range []bool{false, true} {
		t.Run(fmt.Sprintf("our Hello ACKed %v", acked), func(t *testing.T) {
			b := newEndpoint(t, "b", testConfig(2))
			ca := testConfig(1)
			ca.PeerHelloHash = "1.10 " + strings.Repeat("ab", 32) // what a forged SDP says
			a := newEndpoint(t, "a", ca)
			l := &link{t: t, a: a, b: b}
			if !acked {
				l.drop = func(from *endpoint, typ MessageType) bool { return typ == MsgHelloACK }
			}
			l.run()
			if len(a.secured) != 0 || len(a.failed) != 1 || !errors.Is(a.failed[0].Err, ErrHelloHashMismatch) {
				t.Fatalf("a: secured %d failed %v", len(a.secured), a.failed)
			}
			dropped := 0
			for _, err := range l.errs {
				if errors.Is(err, ErrHelloHashMismatch) {
					dropped++
				}
			}
			if dropped == 0 {
				t.Fatalf("no Hello was dropped for its hash: %v", l.errs)
			}
		})
	}
}
