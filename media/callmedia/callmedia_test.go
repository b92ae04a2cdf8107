package callmedia

import (
	"context"
	"github.com/padlock-phone/padlock/media/sdp"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/crypto/zrtp"
	"github.com/padlock-phone/padlock/internal/testkit/ports"
	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// events collects what a side reported to its phone.
type events struct {
	mu  sync.Mutex
	evs []call.Event
}

func (e *events) emit(ev call.Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

func (e *events) find(t *testing.T, pred func(call.Event) bool) call.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		for _, ev := range e.evs {
			if pred(ev) {
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t.Fatalf("event not seen; got %#v", e.evs)
	return nil
}

func secured(ev call.Event) bool { _, ok := ev.(call.Secured); return ok }

// side is one phone's media with a real store-backed ZRTP cache and a
// file-device headset.
type side struct {
	m     *Media
	ev    *events
	dir   string
	hs    *headset.Headset
	cache StoreCache
}

func newSide(t *testing.T, micHz float64) *side {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.Create([]byte("pw"), vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	st.SetSealer(v)
	zid, err := DeviceZID(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := DeviceZID(context.Background(), st); again != zid {
		t.Fatal("the ZID changed between calls to DeviceZID")
	}
	if micHz > 0 {
		w, _ := audio.CreateWAV(filepath.Join(dir, "in.wav"), 8000)
		pcm := make([]int16, 8000*10)
		for i := range pcm {
			pcm[i] = int16(0.4 * 32767 * math.Sin(2*math.Pi*micHz*float64(i)/8000))
		}
		w.Write(pcm)
		w.Close()
	}
	dev, err := audio.NewFile(dir, audio.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	hs := headset.New(dev, nil)
	t.Cleanup(func() { hs.Close() })
	s := &side{ev: &events{}, dir: dir, hs: hs, cache: StoreCache{St: st}}
	s.m, err = New(Config{ZID: zid, Cache: s.cache, Headset: hs, BindIP: netip.MustParseAddr("127.0.0.1"), Emit: s.ev.emit})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// connect does what SIP offer/answer would: each side starts with the
// other's address and a=zrtp-hash.
func connect(t *testing.T, a, b *side, id call.ID, hashB string) (*Session, *Session) {
	t.Helper()
	sa, err := a.m.NewSession(id)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.m.NewSession(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sa.Close(); sb.Close() })
	hash := func(s *Session) string { return strings.TrimPrefix(s.Attributes()[0], "zrtp-hash:") }
	if hashB == "" {
		hashB = hash(sb)
	}
	if err := sa.Start(sdp.Remote{Addr: sb.Addr(), ZRTPHash: hashB, EventPT: 101}, codec.PCMU, sdp.SendRecv); err != nil {
		t.Fatal(err)
	}
	if err := sb.Start(sdp.Remote{Addr: sa.Addr(), ZRTPHash: hash(sa), EventPT: 101}, codec.PCMU, sdp.SendRecv); err != nil {
		t.Fatal(err)
	}
	return sa, sb
}

// level is the amplitude (1: full scale) of freq in pcm (tone.Level).
func level(pcm []int16, rate int, freq float64) float64 { return tone.Level(pcm, rate, freq) }

// TestSecuredCallCarriesAudio: two phones agree on keys and SAS over real
// sockets, audio flows encrypted from A's microphone into B's ear, and a
// confirmed SAS makes the next call verified at once.
func TestSecuredCallCarriesAudio(t *testing.T) {
	a, b := newSide(t, 700), newSide(t, 0)
	sa, sb := connect(t, a, b, "c1", "")
	ea := a.ev.find(t, secured).(call.Secured)
	eb := b.ev.find(t, secured).(call.Secured)
	if ea.SAS == "" || ea.SAS != eb.SAS || ea.Verified || eb.Verified {
		t.Fatalf("SAS %q / %q, verified %v/%v", ea.SAS, eb.SAS, ea.Verified, eb.Verified)
	}
	a.ev.find(t, func(ev call.Event) bool { _, ok := ev.(call.SecurityNegotiating); return ok })

	// Audio: wait for B's ear to get a second of A's tone, through SRTP.
	deadline := time.Now().Add(10 * time.Second)
	var heard []int16
	for time.Now().Before(deadline) {
		sb.mu.Lock()
		st := sb.stream
		sb.mu.Unlock()
		if st.Secure() {
			pcm, _, err := audio.ReadWAV(filepath.Join(b.dir, "out.wav"))
			if err == nil && len(pcm) > 8000*2 {
				heard = pcm
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if heard == nil {
		t.Fatal("B heard nothing")
	}
	tail := heard[len(heard)-8000:]
	if l := level(tail, 8000, 700); l < 0.2 {
		t.Errorf("A's 700 Hz tone in B's ear at level %.2f, want ~0.4 (G.711 over SRTP)", l)
	}

	// Both confirm the SAS: the cache says verified.
	if err := sa.SetVerified(true); err != nil {
		t.Fatal(err)
	}
	if err := sb.SetVerified(true); err != nil {
		t.Fatal(err)
	}
	sa.Close()
	sb.Close()
	a.ev, b.ev = &events{}, &events{}
	a.m.cfg.Emit, b.m.cfg.Emit = a.ev.emit, b.ev.emit
	connect(t, a, b, "c2", "")
	ea = a.ev.find(t, secured).(call.Secured)
	eb = b.ev.find(t, secured).(call.Secured)
	if !ea.Verified || !eb.Verified {
		t.Errorf("second call not verified at once: %v %v", ea.Verified, eb.Verified)
	}
}

// TestForgedHelloHashFails: signalling said one Hello hash, media carried
// another Hello: no keys, and the phone is told the call is not encrypted.
func TestForgedHelloHashFails(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for ZRTP's Hello retries to run out")
	}
	a, b := newSide(t, 0), newSide(t, 0)
	connect(t, a, b, "c1", "1.10 "+strings.Repeat("ab", 32))
	ev := a.ev.find(t, func(ev call.Event) bool { _, ok := ev.(call.SecurityFailed); return ok })
	if r := ev.(call.SecurityFailed).Reason; !strings.Contains(r, "not encrypted") || !strings.Contains(r, "zrtp-hash") {
		t.Errorf("reason %q", r)
	}
	for _, e := range a.ev.evs {
		if secured(e) {
			t.Fatal("A secured a call whose Hello did not match its SDP hash")
		}
	}
}

func TestCacheEntryRoundTrip(t *testing.T) {
	for _, s := range []zrtp.CachedSecrets{
		{},
		{RS1: make([]byte, 32), Verified: true},
		{RS1: []byte{1, 2, 3}, RS2: make([]byte, 32)},
	} {
		got, err := decodeSecrets(encodeSecrets(s))
		if err != nil || got.Verified != s.Verified || string(got.RS1) != string(s.RS1) || string(got.RS2) != string(s.RS2) {
			t.Errorf("%+v -> %+v %v", s, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {2, 0}, {1, 0, 5, 1}, {1, 0, 0, 0, 9}} {
		if _, err := decodeSecrets(bad); err == nil {
			t.Errorf("%x accepted", bad)
		}
	}
}

func FuzzDecodeSecrets(f *testing.F) {
	f.Add(encodeSecrets(zrtp.CachedSecrets{RS1: make([]byte, 32), Verified: true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSecrets(b)
		if err == nil {
			if again := encodeSecrets(s); string(again) != string(b) {
				t.Fatalf("not canonical: %x -> %x", b, again)
			}
		}
	})
}

// TestSecuredWhenEveryConf2ACKIsLost: the two phones' media pass through
// a relay that drops every Conf2ACK. The responder is secure on Confirm2
// and sends SRTP; the initiator, which checks SRTP from its Confirm2 on,
// takes the first packet that authenticates for the Conf2ACK (RFC 6189
// section 4.6) and is secured too, with the same SAS.
func TestSecuredWhenEveryConf2ACKIsLost(t *testing.T) {
	a, b := newSide(t, 700), newSide(t, 500)
	sa, err := a.m.NewSession("c1")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.m.NewSession("c1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sa.Close(); sb.Close() })
	toA, toB := ports.UDP(t), ports.UDP(t) // the relay's two faces
	var dropped atomic.Int64
	relay := func(in, out *net.UDPConn, dst netip.AddrPort) {
		buf := make([]byte, 2048)
		for {
			n, _, err := in.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n >= 24 && buf[0] == 0x10 && string(buf[4:8]) == "ZRTP" && string(buf[16:24]) == "Conf2ACK" {
				dropped.Add(1)
				continue
			}
			out.WriteToUDPAddrPort(buf[:n], dst)
		}
	}
	go relay(toA, toB, sb.Addr())
	go relay(toB, toA, sa.Addr())
	hash := func(s *Session) string { return strings.TrimPrefix(s.Attributes()[0], "zrtp-hash:") }
	addr := func(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }
	if err := sa.Start(sdp.Remote{Addr: addr(toA), ZRTPHash: hash(sb), EventPT: 101}, codec.PCMU, sdp.SendRecv); err != nil {
		t.Fatal(err)
	}
	if err := sb.Start(sdp.Remote{Addr: addr(toB), ZRTPHash: hash(sa), EventPT: 101}, codec.PCMU, sdp.SendRecv); err != nil {
		t.Fatal(err)
	}
	ea := a.ev.find(t, secured).(call.Secured)
	eb := b.ev.find(t, secured).(call.Secured)
	if ea.SAS == "" || ea.SAS != eb.SAS {
		t.Fatalf("SAS %q / %q", ea.SAS, eb.SAS)
	}
	if dropped.Load() == 0 {
		t.Fatal("no Conf2ACK was dropped: the test proves nothing")
	}
	for _, s := range []*side{a, b} {
		s.ev.mu.Lock()
		for _, ev := range s.ev.evs {
			if f, ok := ev.(call.SecurityFailed); ok {
				t.Errorf("security failed: %s", f.Reason)
			}
		}
		s.ev.mu.Unlock()
	}
	t.Logf("secured with %d Conf2ACKs dropped", dropped.Load())
}
