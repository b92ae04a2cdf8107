package zrtp

import (
	"bytes"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"testing"
)

// checkAgreement asserts both sides are secured with the same SAS and
// matching keys.
func checkAgreement(t *testing.T, a, b *endpoint) (Secured, Secured) {
	t.Helper()
	if len(a.failed) > 0 || len(b.failed) > 0 {
		t.Fatalf("failed: a %v, b %v", a.failed, b.failed)
	}
	if len(a.secured) != 1 || len(b.secured) != 1 {
		t.Fatalf("secured events: a %d, b %d (a sent %v, b sent %v)", len(a.secured), len(b.secured), a.sent, b.sent)
	}
	sa, sb := a.secured[0], b.secured[0]
	if sa.SAS != sb.SAS || sa.SASValue != sb.SASValue || sa.SAS == "" {
		t.Fatalf("SAS differs: %q vs %q", sa.SAS, sb.SAS)
	}
	if want, _ := RenderSAS(sa.SASType, sa.SASValue); sa.SAS != want {
		t.Fatalf("SAS %q is not the rendering of %#x", sa.SAS, sa.SASValue)
	}
	if !bytes.Equal(sa.Keys.LocalKey, sb.Keys.RemoteKey) || !bytes.Equal(sa.Keys.LocalSalt, sb.Keys.RemoteSalt) ||
		!bytes.Equal(sa.Keys.RemoteKey, sb.Keys.LocalKey) || !bytes.Equal(sa.Keys.RemoteSalt, sb.Keys.LocalSalt) {
		t.Fatal("SRTP keys do not match across the two sides")
	}
	if bytes.Equal(sa.Keys.LocalKey, sa.Keys.RemoteKey) {
		t.Fatal("both directions use the same key")
	}
	if len(sa.Keys.LocalKey) != cipherKeyLen(sa.Cipher) || len(sa.Keys.LocalSalt) != srtpSaltLen {
		t.Fatalf("key %d bytes, salt %d bytes for %v", len(sa.Keys.LocalKey), len(sa.Keys.LocalSalt), sa.Cipher)
	}
	if sa.Role == sb.Role || sa.Role == RoleUnknown || sb.Role == RoleUnknown {
		t.Fatalf("roles %v and %v", sa.Role, sb.Role)
	}
	if sa.Hash != sb.Hash || sa.Cipher != sb.Cipher || sa.AuthTag != sb.AuthTag || sa.KeyAgreement != sb.KeyAgreement || sa.SASType != sb.SASType {
		t.Fatal("negotiated algorithms differ")
	}
	if sa.PeerZID != b.e.cfg.ZID || sb.PeerZID != a.e.cfg.ZID {
		t.Fatal("peer ZIDs wrong")
	}
	if sa.PeerClientID != b.e.cfg.ClientID {
		t.Fatalf("peer client ID %q, want %q", sa.PeerClientID, b.e.cfg.ClientID)
	}
	return sa, sb
}

func TestEngineAllCombinations(t *testing.T) {
	n := 0
	for _, h := range SupportedHashes {
		for _, c := range SupportedCiphers {
			for _, at := range SupportedAuthTags {
				for _, ka := range SupportedKeyAgreements {
					for _, sas := range SupportedSAS {
						n++
						name := fmt.Sprintf("%v-%v-%v-%v-%v", h, c, at, ka, sas)
						t.Run(name, func(t *testing.T) {
							set := func(cfg Config) Config {
								cfg.Hashes, cfg.Ciphers, cfg.AuthTags = []Algo{h}, []Algo{c}, []Algo{at}
								cfg.KeyAgreements, cfg.SASTypes = []Algo{ka}, []Algo{sas}
								return cfg
							}
							a := newEndpoint(t, "a", set(testConfig(1)))
							b := newEndpoint(t, "b", set(testConfig(uint8(n+1))))
							l := &link{t: t, a: a, b: b}
							l.run()
							sa, _ := checkAgreement(t, a, b)
							if sa.Hash != h || sa.Cipher != c || sa.AuthTag != at || sa.KeyAgreement != ka || sa.SASType != sas {
								t.Fatalf("negotiated %v %v %v %v %v", sa.Hash, sa.Cipher, sa.AuthTag, sa.KeyAgreement, sa.SASType)
							}
							if sa.Verified {
								t.Fatal("first call reported verified")
							}
						})
					}
				}
			}
		}
	}
}

func TestEngineDefaultConfig(t *testing.T) {
	a := newEndpoint(t, "a", testConfig(1))
	b := newEndpoint(t, "b", testConfig(2))
	(&link{t: t, a: a, b: b}).run()
	sa, _ := checkAgreement(t, a, b)
	if sa.KeyAgreement != KeyX255 || sa.Hash != HashS256 || sa.Cipher != CipherAES1 || sa.SASType != SASB32 {
		t.Errorf("defaults negotiated %v %v %v %v", sa.KeyAgreement, sa.Hash, sa.Cipher, sa.SASType)
	}
	// both sent Commit (contention) and the one with the higher hvi won
	ini, res := a, b
	if sa.Role == RoleResponder {
		ini, res = b, a
	}
	if ini.e.commit.HVI != hvi(HashS256, ini.e.dhPart2, res.e.selfHello) {
		t.Error("initiator's Commit is not the one in force")
	}
	countCommits := func(p *endpoint) (n int) {
		for _, typ := range p.sent {
			if typ == MsgCommit {
				n++
			}
		}
		return n
	}
	if countCommits(a) == 0 || countCommits(b) == 0 {
		t.Skip("no contention happened in this ordering") // cannot happen with the harness order
	}
}

func TestEngineKeyAgreementPreference(t *testing.T) {
	// The first choices differ: the faster key agreement wins (RFC 6189 §4.1.2).
	ca, cb := testConfig(1), testConfig(2)
	ca.KeyAgreements = []Algo{KeyDH3k, KeyEC25}
	cb.KeyAgreements = []Algo{KeyEC25, KeyDH3k}
	a, b := newEndpoint(t, "a", ca), newEndpoint(t, "b", cb)
	(&link{t: t, a: a, b: b}).run()
	if sa, _ := checkAgreement(t, a, b); sa.KeyAgreement != KeyEC25 {
		t.Fatalf("chose %v, want EC25", sa.KeyAgreement)
	}
}

func TestEngineLossRecovery(t *testing.T) {
	for _, typ := range []MessageType{MsgHello, MsgHelloACK, MsgCommit, MsgDHPart1, MsgDHPart2, MsgConfirm1, MsgConfirm2, MsgConf2ACK} {
		for _, lossy := range []string{"a", "b"} {
			t.Run(fmt.Sprintf("%v from %s", typ, lossy), func(t *testing.T) {
				a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
				dropped := 0
				l := &link{t: t, a: a, b: b, drop: func(from *endpoint, got MessageType) bool {
					if from.name == lossy && got == typ && dropped < 2 {
						dropped++
						return true
					}
					return false
				}}
				l.run()
				checkAgreement(t, a, b)
			})
		}
	}
}

// TestEngineChaoticLink reorders, duplicates and loses packets.
func TestEngineChaoticLink(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			ca, cb := testConfig(1), testConfig(2)
			ca.Rand, cb.Rand = detRand(seed+1000), detRand(seed+2000)
			a, b := newEndpoint(t, "a", ca), newEndpoint(t, "b", cb)
			l := &link{t: t, a: a, b: b, chaos: mrand.New(mrand.NewPCG(seed, 7)), lossPct: 15, dupPct: 20}
			l.run()
			checkAgreement(t, a, b)
			for _, err := range l.errs {
				// duplicates and strays are dropped; nothing else may happen
				if !errors.Is(err, ErrUnexpected) {
					t.Errorf("unexpected drop reason: %v", err)
				}
			}
		})
	}
}

func TestEngineRetainedSecrets(t *testing.T) {
	cacheA, cacheB := memCache{}, memCache{}
	call := func(t *testing.T, seed byte) (*endpoint, *endpoint, Secured) {
		t.Helper()
		ca, cb := testConfig(1), testConfig(2)
		ca.Rand, cb.Rand = detRand(uint64(seed)), detRand(uint64(seed)+100)
		ca.Cache, cb.Cache = cacheA, cacheB
		a, b := newEndpoint(t, "a", ca), newEndpoint(t, "b", cb)
		(&link{t: t, a: a, b: b}).run()
		sa, _ := checkAgreement(t, a, b)
		return a, b, sa
	}
	// 1: new peers; secrets stored, unverified
	a, b, s := call(t, 10)
	if s.Verified || len(a.updates) != 1 || len(b.updates) != 1 {
		t.Fatalf("first call: verified %v, updates %d/%d", s.Verified, len(a.updates), len(b.updates))
	}
	if !bytes.Equal(a.updates[0].Secrets.RS1, b.updates[0].Secrets.RS1) || len(a.updates[0].Secrets.RS1) != 32 {
		t.Fatal("the two sides retain different secrets")
	}
	cacheA.apply(a.updates)
	cacheB.apply(b.updates)
	// 2: the users compare the SAS and confirm it
	cacheA.apply(collectUpdates(a.e.SetSASVerified(true)))
	cacheB.apply(collectUpdates(b.e.SetSASVerified(true)))
	// 3: next call goes straight to verified, with rs2 = the old rs1
	a, b, s = call(t, 20)
	if !s.Verified || !b.secured[0].Verified {
		t.Fatal("second call after verification not reported verified")
	}
	oldRS1 := cacheA[b.e.cfg.ZID].RS1
	if !bytes.Equal(a.updates[0].Secrets.RS2, oldRS1) || !a.updates[0].Secrets.Verified {
		t.Fatal("cache update does not keep the old rs1 as rs2 and the verified flag")
	}
	// 4: A stored the update, B lost it (say, power cut): rs2 still matches
	cacheA.apply(a.updates)
	a, b, s = call(t, 30)
	if !s.Verified || len(a.mismatch)+len(b.mismatch) != 0 {
		t.Fatalf("rs2 fallback: verified %v, mismatches %d/%d", s.Verified, len(a.mismatch), len(b.mismatch))
	}
	cacheA.apply(a.updates)
	cacheB.apply(b.updates)
	// 5: B loses its cache entirely: A sees a cache mismatch, nothing is
	// stored until the SAS is verified again
	delete(cacheB, a.e.cfg.ZID)
	a, b, s = call(t, 40)
	if s.Verified || len(a.mismatch) != 1 || len(b.mismatch) != 0 {
		t.Fatalf("lost cache: verified %v, mismatches a %d b %d", s.Verified, len(a.mismatch), len(b.mismatch))
	}
	if len(a.updates) != 0 {
		t.Fatal("cache updated despite the mismatch")
	}
	if out := a.e.SetSASVerified(false); len(out) != 0 {
		t.Fatal("unverified SAS after mismatch stored secrets")
	}
	up := collectUpdates(a.e.SetSASVerified(true))
	if len(up) != 1 || up[0].Secrets.RS2 != nil || !bytes.Equal(up[0].Secrets.RS1, b.updates[0].Secrets.RS1) {
		t.Fatalf("update after verifying a mismatch: %+v", up)
	}
}

func collectUpdates(out []Output) (ups []CacheUpdate) {
	for _, o := range out {
		if u, ok := o.(CacheUpdate); ok {
			ups = append(ups, u)
		}
	}
	return ups
}

type failingCache struct{}

func (failingCache) Lookup([12]byte) (CachedSecrets, bool, error) {
	return CachedSecrets{}, false, errors.New("disk on fire")
}

func TestEngineCacheError(t *testing.T) {
	ca := testConfig(1)
	ca.Cache = failingCache{}
	a, b := newEndpoint(t, "a", ca), newEndpoint(t, "b", testConfig(2))
	(&link{t: t, a: a, b: b}).run()
	if len(a.failed) != 1 || a.failed[0].Code != ErrCodeSoftware || len(a.secured) != 0 {
		t.Fatalf("a: failed %v secured %d", a.failed, len(a.secured))
	}
	if len(b.failed) != 1 || !b.failed[0].FromPeer || b.failed[0].Code != ErrCodeSoftware {
		t.Fatalf("b did not learn of the failure: %v", b.failed)
	}
}

// TestEngineInitiatorReceivesSRTPAfterConfirm2: the responder may send
// SRTP as soon as it has Confirm2 (RFC 6189 section 4.6), so the initiator
// hands out the keys to check it with when it sends Confirm2, before
// Conf2ACK — the same keys it is Secured with later. The responder, which
// sends and receives SRTP from Conf2ACK on, gets no ReceiveKeys.
func TestEngineInitiatorReceivesSRTPAfterConfirm2(t *testing.T) {
	a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
	(&link{t: t, a: a, b: b}).run()
	sa, sb := checkAgreement(t, a, b)
	ini, resp, sec := a, b, sa
	if sb.Role == RoleInitiator {
		ini, resp, sec = b, a, sb
	}
	if len(resp.receive) != 0 {
		t.Errorf("the responder got %d ReceiveKeys", len(resp.receive))
	}
	if len(ini.receive) != 1 {
		t.Fatalf("the initiator got %d ReceiveKeys, want 1", len(ini.receive))
	}
	if last := ini.sent[ini.receiveAt-1]; last != MsgConfirm2 {
		t.Errorf("ReceiveKeys came with %v, want with Confirm2", last)
	}
	rk := ini.receive[0].Keys
	if !bytes.Equal(rk.RemoteKey, sec.Keys.RemoteKey) || !bytes.Equal(rk.RemoteSalt, sec.Keys.RemoteSalt) ||
		!bytes.Equal(rk.LocalKey, sec.Keys.LocalKey) || rk.Cipher != sec.Keys.Cipher || rk.AuthTag != sec.Keys.AuthTag {
		t.Error("ReceiveKeys differ from the keys the initiator is Secured with")
	}
}

// TestEnginePeerSRTPStandsForConf2ACK: every Conf2ACK is lost, but the
// responder's SRTP arrives and authenticates: the initiator is Secured by
// it, with the keys both sides agree on. PeerSRTP means nothing to a
// responder or before Confirm2.
func TestEnginePeerSRTPStandsForConf2ACK(t *testing.T) {
	a, b := newEndpoint(t, "a", testConfig(1)), newEndpoint(t, "b", testConfig(2))
	if out := a.e.PeerSRTP(); out != nil {
		t.Errorf("PeerSRTP before the engine started: %v", out)
	}
	var l *link
	l = &link{t: t, a: a, b: b, drop: func(from *endpoint, typ MessageType) bool {
		if typ != MsgConf2ACK {
			return false
		}
		// The responder is secure and sends SRTP; the initiator's
		// stream authenticates it with ReceiveKeys.
		if out := from.e.PeerSRTP(); out != nil {
			t.Errorf("PeerSRTP changed the responder: %v", out)
		}
		ini := l.other(from)
		if len(ini.receive) != 1 {
			t.Fatalf("SRTP from the responder before the initiator had keys to check it (%d ReceiveKeys)", len(ini.receive))
		}
		ini.collect(ini.e.PeerSRTP())
		return true
	}}
	l.run()
	checkAgreement(t, a, b)
	for _, p := range []*endpoint{a, b} {
		if out := p.e.PeerSRTP(); out != nil {
			t.Errorf("%s: PeerSRTP after Secured: %v", p.name, out)
		}
	}
}
