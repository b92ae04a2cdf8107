//go:build cgo

package bzrtppeer

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/zrtp"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type outcome struct {
	ours     *zrtp.Secured
	failed   *zrtp.Failed
	mismatch bool
	updates  []zrtp.CacheUpdate
	theirs   Result
	secured  bool
}

// exchange runs our engine against a bzrtp peer on a simulated clock.
func exchange(t *testing.T, cfg zrtp.Config, algs Algorithms, bzrtpFirst bool) outcome {
	t.Helper()
	e, err := zrtp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(0xb0b0b0b0, algs)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	return run(t, e, p, bzrtpFirst, nil)
}

// run lets e and p talk until both are done. lose, if set, is asked about
// every packet (toPeer tells the direction) and can drop it.
func run(t *testing.T, e *zrtp.Engine, p *Peer, bzrtpFirst bool, lose func(toPeer bool) bool) outcome {
	t.Helper()
	var res outcome
	var toPeer [][]byte
	handle := func(out []zrtp.Output) {
		for _, o := range out {
			switch o := o.(type) {
			case zrtp.Send:
				toPeer = append(toPeer, o.Packet)
			case zrtp.Secured:
				res.ours = &o
			case zrtp.Failed:
				res.failed = &o
			case zrtp.CacheMismatch:
				res.mismatch = true
			case zrtp.CacheUpdate:
				res.updates = append(res.updates, o)
			}
		}
	}
	now := t0
	ms := func() uint64 { return uint64(now.Sub(t0).Milliseconds()) + 1000 }
	p.Iterate(ms())
	if bzrtpFirst {
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		handle(e.Start(now))
	} else {
		handle(e.Start(now))
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for step := 0; step < 2000; step++ {
		if r, ok := p.Secured(); ok && !res.secured {
			res.theirs, res.secured = r, true
		}
		if (res.ours != nil && res.secured) || res.failed != nil {
			return res
		}
		progressed := false
		for _, pkt := range p.Outgoing() {
			progressed = true
			if lose != nil && lose(false) {
				continue
			}
			out, err := e.Receive(pkt, now)
			if err != nil {
				t.Logf("our engine dropped a bzrtp packet: %v", err)
			}
			handle(out)
		}
		for len(toPeer) > 0 {
			progressed = true
			pkt := toPeer[0]
			toPeer = toPeer[1:]
			if lose != nil && lose(true) {
				continue
			}
			if err := p.Receive(pkt); err != nil {
				t.Logf("bzrtp refused our packet: %v", err)
			}
		}
		if progressed {
			continue
		}
		now = now.Add(10 * time.Millisecond)
		handle(e.Tick(now))
		p.Iterate(ms())
	}
	t.Fatalf("no result: ours %v failed %v bzrtp secured %v", res.ours, res.failed, res.secured)
	return res
}

func TestInteropWithBzrtp(t *testing.T) {
	probe, err := New(1, Algorithms{})
	if err != nil {
		t.Fatal(err)
	}
	var have [5][]zrtp.Algo
	for k := range have {
		have[k] = probe.Supported(k)
	}
	probe.Close()
	t.Logf("bzrtp offers: hash %v cipher %v auth %v key %v sas %v", have[0], have[1], have[2], have[3], have[4])

	// what both bzrtp (as built by Debian) and we implement
	common := func(k int, ours []zrtp.Algo) (out []zrtp.Algo) {
		for _, a := range ours {
			if slices.Contains(have[k], a) {
				out = append(out, a)
			}
		}
		return out
	}
	// bzrtp keeps only what its backend has; ask it for each kind alone too
	all := [5][]zrtp.Algo{zrtp.SupportedHashes, zrtp.SupportedCiphers, zrtp.SupportedAuthTags, zrtp.SupportedKeyAgreements, zrtp.SupportedSAS}
	var kinds [5][]zrtp.Algo
	for k := range kinds {
		for _, a := range all[k] {
			var algs Algorithms
			lists := []*[]zrtp.Algo{&algs.Hashes, &algs.Ciphers, &algs.AuthTags, &algs.KeyAgreements, &algs.SASTypes}
			*lists[k] = []zrtp.Algo{a}
			pp, err := New(2, algs)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(pp.Supported(k), a) {
				kinds[k] = append(kinds[k], a)
			}
			pp.Close()
		}
		if len(kinds[k]) == 0 {
			kinds[k] = common(k, all[k])
		}
	}
	t.Logf("testing against bzrtp with: %v", kinds)
	if !slices.Contains(kinds[3], zrtp.KeyDH3k) || !slices.Contains(kinds[3], zrtp.KeyX255) {
		t.Errorf("bzrtp lacks DH3k or X255: %v", kinds[3])
	}

	roles := map[zrtp.Role]int{}
	n := 0
	for _, h := range kinds[0] {
		for _, c := range kinds[1] {
			for _, at := range kinds[2] {
				for _, ka := range kinds[3] {
					for _, sas := range kinds[4] {
						n++
						name := fmt.Sprintf("%v-%v-%v-%v-%v", h, c, at, ka, sas)
						t.Run(name, func(t *testing.T) {
							var zid [12]byte
							rand.Read(zid[:])
							cfg := zrtp.Config{ZID: zid, ClientID: "Padlock interop", SSRC: 0xa1a1a1a1,
								Hashes: []zrtp.Algo{h}, Ciphers: []zrtp.Algo{c}, AuthTags: []zrtp.Algo{at},
								KeyAgreements: []zrtp.Algo{ka}, SASTypes: []zrtp.Algo{sas}}
							algs := Algorithms{Hashes: []zrtp.Algo{h}, Ciphers: []zrtp.Algo{c}, AuthTags: []zrtp.Algo{at},
								KeyAgreements: []zrtp.Algo{ka}, SASTypes: []zrtp.Algo{sas}}
							res := exchange(t, cfg, algs, n%2 == 0)
							if res.failed != nil {
								t.Fatalf("our engine failed: %+v", *res.failed)
							}
							ours, theirs := res.ours, res.theirs
							if ours.SAS != theirs.SAS {
								t.Fatalf("SAS: ours %q, bzrtp %q", ours.SAS, theirs.SAS)
							}
							if !bytes.Equal(ours.Keys.LocalKey, theirs.PeerKey) || !bytes.Equal(ours.Keys.LocalSalt, theirs.PeerSalt) ||
								!bytes.Equal(ours.Keys.RemoteKey, theirs.SelfKey) || !bytes.Equal(ours.Keys.RemoteSalt, theirs.SelfSalt) {
								t.Fatalf("SRTP keys differ:\nours   local %x/%x remote %x/%x\nbzrtp  peer  %x/%x self   %x/%x",
									ours.Keys.LocalKey, ours.Keys.LocalSalt, ours.Keys.RemoteKey, ours.Keys.RemoteSalt,
									theirs.PeerKey, theirs.PeerSalt, theirs.SelfKey, theirs.SelfSalt)
							}
							if ours.Hash != theirs.Hash || ours.Cipher != theirs.Cipher || ours.AuthTag != theirs.AuthTag ||
								ours.KeyAgreement != theirs.KeyAgreement || ours.SASType != theirs.SASType {
								t.Fatalf("algorithms: ours %v %v %v %v %v, bzrtp %v %v %v %v %v",
									ours.Hash, ours.Cipher, ours.AuthTag, ours.KeyAgreement, ours.SASType,
									theirs.Hash, theirs.Cipher, theirs.AuthTag, theirs.KeyAgreement, theirs.SASType)
							}
							roles[ours.Role]++
						})
					}
				}
			}
		}
	}
	t.Logf("%d combinations, our roles: %v", n, roles)
}

// memCache is our side's ZID cache for the retained secret test.
type memCache map[[12]byte]zrtp.CachedSecrets

func (c memCache) Lookup(zid [12]byte) (zrtp.CachedSecrets, bool, error) {
	s, ok := c[zid]
	return s, ok, nil
}

// TestInteropRetainedSecrets checks rs1/rs2 IDs, s0 with s1, the retained
// secret update and the V flag against bzrtp's own SQLite cache.
func TestInteropRetainedSecrets(t *testing.T) {
	cache, err := OpenCache(t.TempDir() + "/bzrtp-cache.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	ours := memCache{}
	zid := [12]byte{'p', 'a', 'd', 'l', 'o', 'c', 'k', '-', 'z', 'i', 'd', '1'}
	call := func(t *testing.T, ka zrtp.Algo, verify bool) outcome {
		t.Helper()
		e, err := zrtp.New(zrtp.Config{ZID: zid, ClientID: "Padlock interop", SSRC: 0xa1a1a1a1,
			KeyAgreements: []zrtp.Algo{ka}, Cache: ours})
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewWithCache(0xb0b0b0b0, Algorithms{KeyAgreements: []zrtp.Algo{ka}}, cache, "sip:bob@example.org", "sip:padlock@example.org")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		res := run(t, e, p, false, nil)
		if res.failed != nil {
			t.Fatalf("failed: %+v", *res.failed)
		}
		if res.ours.SAS != res.theirs.SAS || !bytes.Equal(res.ours.Keys.LocalKey, res.theirs.PeerKey) {
			t.Fatalf("SAS %q vs %q, or keys differ", res.ours.SAS, res.theirs.SAS)
		}
		for _, u := range res.updates {
			ours[u.PeerZID] = u.Secrets
		}
		if verify {
			p.SASVerified()
			for _, o := range e.SetSASVerified(true) {
				if u, ok := o.(zrtp.CacheUpdate); ok {
					ours[u.PeerZID] = u.Secrets
				}
			}
		}
		return res
	}
	// 1: first call: nothing cached, nothing verified
	res := call(t, zrtp.KeyX255, true)
	if res.ours.Verified || res.theirs.Verified || res.mismatch || res.theirs.CacheMismatch {
		t.Fatalf("first call: ours verified %v, bzrtp verified %v, mismatch %v/%v",
			res.ours.Verified, res.theirs.Verified, res.mismatch, res.theirs.CacheMismatch)
	}
	// 2, 3: both remember each other and the verification, whichever the
	// role and key agreement
	for i, ka := range []zrtp.Algo{zrtp.KeyDH3k, zrtp.KeyX255} {
		res = call(t, ka, false)
		t.Logf("call %d (%v): we were %v", i+2, ka, res.ours.Role)
		if !res.ours.Verified || !res.theirs.Verified || res.mismatch || res.theirs.CacheMismatch {
			t.Fatalf("call %d: ours verified %v, bzrtp verified %v, mismatch %v/%v",
				i+2, res.ours.Verified, res.theirs.Verified, res.mismatch, res.theirs.CacheMismatch)
		}
	}
	// 4: we lose our cache: bzrtp must see a cache mismatch
	clear(ours)
	res = call(t, zrtp.KeyX255, false)
	if res.ours.Verified || res.theirs.Verified || !res.theirs.CacheMismatch {
		t.Fatalf("lost cache: ours verified %v, bzrtp verified %v, bzrtp mismatch %v",
			res.ours.Verified, res.theirs.Verified, res.theirs.CacheMismatch)
	}
}

// TestInteropLossyLink loses a quarter of the packets each way: both
// implementations' retransmissions must still get both sides secured.
func TestInteropLossyLink(t *testing.T) {
	roles := map[zrtp.Role]int{}
	for seed := range uint64(24) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := mrand.New(mrand.NewPCG(seed, 42))
			var zid [12]byte
			rand.Read(zid[:])
			e, err := zrtp.New(zrtp.Config{ZID: zid, SSRC: 0xa1a1a1a1})
			if err != nil {
				t.Fatal(err)
			}
			p, err := New(0xb0b0b0b0, Algorithms{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			res := run(t, e, p, seed%2 == 0, func(bool) bool { return rng.IntN(4) == 0 })
			if res.failed != nil {
				t.Fatalf("failed: %+v", *res.failed)
			}
			if res.ours.SAS != res.theirs.SAS || !bytes.Equal(res.ours.Keys.RemoteKey, res.theirs.SelfKey) {
				t.Fatalf("SAS %q vs %q, or keys differ", res.ours.SAS, res.theirs.SAS)
			}
			roles[res.ours.Role]++
		})
	}
	t.Logf("our roles: %v", roles)
}

// TestInteropHelloHash exchanges a=zrtp-hash values both ways before media,
// as SDP would carry them.
func TestInteropHelloHash(t *testing.T) {
	p, err := New(0xb0b0b0b0, Algorithms{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	theirs, err := p.HelloHash()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bzrtp a=zrtp-hash: %s", theirs)
	var zid [12]byte
	rand.Read(zid[:])
	e, err := zrtp.New(zrtp.Config{ZID: zid, SSRC: 0xa1a1a1a1, PeerHelloHash: theirs})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetPeerHelloHash(e.HelloHash()); err != nil {
		t.Fatal(err)
	}
	res := run(t, e, p, false, nil)
	if res.failed != nil || res.ours.SAS != res.theirs.SAS {
		t.Fatalf("failed %v, SAS %q vs %q", res.failed, res.ours.SAS, res.theirs.SAS)
	}

	// bzrtp given another endpoint's hash must refuse our Hello
	p2, err := New(0xb0b0b0b1, Algorithms{})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	other, _ := zrtp.New(zrtp.Config{ZID: [12]byte{9}})
	e2, _ := zrtp.New(zrtp.Config{ZID: zid, SSRC: 0xa1a1a1a1})
	if err := p2.SetPeerHelloHash(other.HelloHash()); err != nil {
		t.Fatal(err)
	}
	res = run(t, e2, p2, false, nil)
	if res.failed == nil || res.secured || !errors.Is(res.failed.Err, zrtp.ErrNoPeer) {
		t.Fatalf("bzrtp with a wrong hash: failed %v, bzrtp secured %v", res.failed, res.secured)
	}
}

// TestInteropDifferentPreferences: each side prefers other algorithms; the
// Commit that wins contention decides, and both must follow it.
func TestInteropDifferentPreferences(t *testing.T) {
	ours := zrtp.Config{SSRC: 0xa1a1a1a1,
		Hashes: []zrtp.Algo{zrtp.HashS384, zrtp.HashS256}, Ciphers: []zrtp.Algo{zrtp.CipherAES3, zrtp.CipherAES1},
		AuthTags: []zrtp.Algo{zrtp.AuthHS80, zrtp.AuthHS32}, KeyAgreements: []zrtp.Algo{zrtp.KeyDH3k, zrtp.KeyX255},
		SASTypes: []zrtp.Algo{zrtp.SASB256, zrtp.SASB32}}
	theirs := Algorithms{
		Hashes: []zrtp.Algo{zrtp.HashS256, zrtp.HashS384}, Ciphers: []zrtp.Algo{zrtp.CipherAES1, zrtp.CipherAES3},
		AuthTags: []zrtp.Algo{zrtp.AuthHS32, zrtp.AuthHS80}, KeyAgreements: []zrtp.Algo{zrtp.KeyX255, zrtp.KeyDH3k},
		SASTypes: []zrtp.Algo{zrtp.SASB32, zrtp.SASB256}}
	roles := map[zrtp.Role]int{}
	for i := range 16 {
		rand.Read(ours.ZID[:])
		res := exchange(t, ours, theirs, i%2 == 0)
		if res.failed != nil {
			t.Fatalf("failed: %+v", *res.failed)
		}
		o, b := res.ours, res.theirs
		if o.SAS != b.SAS || !bytes.Equal(o.Keys.LocalKey, b.PeerKey) || o.Hash != b.Hash || o.Cipher != b.Cipher ||
			o.AuthTag != b.AuthTag || o.KeyAgreement != b.KeyAgreement || o.SASType != b.SASType {
			t.Fatalf("disagree: ours %v %v %v %v %v %q, bzrtp %v %v %v %v %v %q", o.Hash, o.Cipher, o.AuthTag, o.KeyAgreement,
				o.SASType, o.SAS, b.Hash, b.Cipher, b.AuthTag, b.KeyAgreement, b.SASType, b.SAS)
		}
		if o.KeyAgreement != zrtp.KeyX255 {
			t.Errorf("key agreement %v, want the faster X255", o.KeyAgreement)
		}
		roles[o.Role]++
		t.Logf("we were %v: %v %v %v %v %v", o.Role, o.Hash, o.Cipher, o.AuthTag, o.KeyAgreement, o.SASType)
	}
	t.Logf("our roles: %v", roles)
}
