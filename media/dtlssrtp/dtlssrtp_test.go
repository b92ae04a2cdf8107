package dtlssrtp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/icelink/icelinktest"
)

type result struct {
	r   Result
	err error
}

// handshake runs both sides over an ICE pair on loopback; the server
// (passive) side is told serverExpects as the client's fingerprint.
func handshake(t *testing.T, client, server Identity, serverExpects string) (result, result) {
	t.Helper()
	a, b := icelinktest.Pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := make(chan result, 1)
	go func() {
		r, err := Handshake(ctx, b.DTLS(), net.UDPAddrFromAddrPort(b.Remote()), server, false, HashName, serverExpects)
		ch <- result{r, err}
	}()
	r, err := Handshake(ctx, a.DTLS(), net.UDPAddrFromAddrPort(a.Remote()), client, true, HashName, server.Fingerprint)
	return result{r, err}, <-ch
}

func TestHandshakeKeysAgree(t *testing.T) {
	c, _ := NewIdentity()
	s, _ := NewIdentity()
	rc, rs := handshake(t, c, s, c.Fingerprint)
	if rc.err != nil || rs.err != nil {
		t.Fatalf("client %v, server %v", rc.err, rs.err)
	}
	kc, ks := rc.r.Keys, rs.r.Keys
	if kc.Profile != ks.Profile || !bytes.Equal(kc.LocalKey, ks.RemoteKey) || !bytes.Equal(kc.RemoteKey, ks.LocalKey) ||
		!bytes.Equal(kc.LocalSalt, ks.RemoteSalt) || bytes.Equal(kc.LocalKey, kc.RemoteKey) {
		t.Fatalf("keys do not pair up: %v / %v", kc.Profile, ks.Profile)
	}
	if rc.r.PeerFingerprint != s.Fingerprint || rs.r.PeerFingerprint != c.Fingerprint {
		t.Fatal("peer fingerprints not reported")
	}
}

func TestFingerprintMismatch(t *testing.T) {
	c, _ := NewIdentity()
	s, _ := NewIdentity()
	other, _ := NewIdentity()
	_, rs := handshake(t, c, s, other.Fingerprint)
	if !errors.Is(rs.err, ErrFingerprint) {
		t.Fatalf("server accepted a certificate its signalling did not announce: %v", rs.err)
	}
}

func TestRefusesOtherHash(t *testing.T) {
	id, _ := NewIdentity()
	if _, err := Handshake(context.Background(), nil, nil, id, true, "sha-1", "AA"); err == nil {
		t.Fatal("sha-1 fingerprint accepted")
	}
}
