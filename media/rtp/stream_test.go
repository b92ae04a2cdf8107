package rtp

import (
	"bytes"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/codec"
)

func listenUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addrOf(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

// relay sits between two streams on loopback: A talks to its side a, B
// to its side b. RTP going from A to B can be dropped or delayed (which
// reorders it); everything else passes untouched.
type relay struct {
	a, b         *net.UDPConn
	addrA, addrB netip.AddrPort // the streams' own addresses
	loss, swap   float64
	rng          *rand.Rand
	mu           sync.Mutex
	dropped      int
	delayed      int
	forwarded    int
	wg           sync.WaitGroup
}

func newRelay(t *testing.T, loss, swap float64, seed uint64) *relay {
	r := &relay{a: listenUDP(t), b: listenUDP(t), loss: loss, swap: swap, rng: rand.New(rand.NewPCG(seed, 2))}
	t.Cleanup(func() {
		r.a.Close()
		r.b.Close()
		r.wg.Wait()
	})
	return r
}

func (r *relay) start(addrA, addrB netip.AddrPort) {
	r.addrA, r.addrB = addrA, addrB
	r.wg.Add(2)
	go r.pump(r.a, r.b, addrB, true)
	go r.pump(r.b, r.a, addrA, false)
}

func (r *relay) pump(from, to *net.UDPConn, dst netip.AddrPort, impair bool) {
	defer r.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := from.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		pkt := bytes.Clone(buf[:n])
		if impair && Classify(pkt) == KindRTP {
			r.mu.Lock()
			r.forwarded++
			early := r.forwarded <= 5 // RFC 3550 probation: keep the first packets
			drop := !early && r.rng.Float64() < r.loss
			delay := !early && !drop && r.rng.Float64() < r.swap
			if drop {
				r.dropped++
			}
			if delay {
				r.delayed++
			}
			r.mu.Unlock()
			if drop {
				continue
			}
			if delay {
				// Held back past the next packet or two: reordered.
				r.wg.Add(1)
				time.AfterFunc(30*time.Millisecond, func() {
					defer r.wg.Done()
					to.WriteToUDPAddrPort(pkt, dst)
				})
				continue
			}
		}
		to.WriteToUDPAddrPort(pkt, dst)
	}
}

func (r *relay) counts() (dropped, delayed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped, r.delayed
}

type legs struct {
	a, b     *Stream
	relay    *relay
	reportsA chan RemoteReport
	digitsB  chan DTMF
	zrtpB    chan []byte
	srtpA    chan struct{} // A's OnSRTP
}

// newLegs makes streams A and B of format f connected through a relay.
func newLegs(t *testing.T, f codec.Format, requireEnc bool, loss, swap float64) *legs {
	t.Helper()
	l := &legs{
		relay:    newRelay(t, loss, swap, 3),
		reportsA: make(chan RemoteReport, 16),
		digitsB:  make(chan DTMF, 32),
		zrtpB:    make(chan []byte, 16),
		srtpA:    make(chan struct{}, 4),
	}
	ca, cb := listenUDP(t), listenUDP(t)
	l.relay.start(addrOf(ca), addrOf(cb))
	var err error
	l.a, err = NewStream(Config{Conn: ca, Remote: addrOf(l.relay.a), Format: f, AllowClear: !requireEnc,
		RTCPInterval: -1, OnReport: func(r RemoteReport) { l.reportsA <- r }, OnSRTP: func() { l.srtpA <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	l.b, err = NewStream(Config{Conn: cb, Remote: addrOf(l.relay.b), Format: f, AllowClear: !requireEnc,
		RTCPInterval: -1,
		OnDTMF:       func(d DTMF) { l.digitsB <- d },
		OnZRTP:       func(p []byte) { l.zrtpB <- bytes.Clone(p) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.a.Close()
		l.b.Close()
	})
	return l
}

// enableSRTP gives both legs matching keys for profile p.
func (l *legs) enableSRTP(t *testing.T, p Profile) {
	t.Helper()
	k := testKeys(p, 7)
	if err := l.a.EnableSRTP(k); err != nil {
		t.Fatal(err)
	}
	if err := l.b.EnableSRTP(Keys{Profile: p, LocalKey: k.RemoteKey, LocalSalt: k.RemoteSalt, RemoteKey: k.LocalKey, RemoteSalt: k.LocalSalt}); err != nil {
		t.Fatal(err)
	}
}

// talk sends frames of a 1 kHz tone from A at 20 ms intervals and returns
// what B played meanwhile.
func (l *legs) talk(t *testing.T, frames int) []int16 {
	t.Helper()
	return talk(t, l.a, l.b, frames)
}

// talk sends frames of a 1 kHz tone from one stream to another.
func talk(t *testing.T, from, to *Stream, frames int) []int16 {
	t.Helper()
	l := struct{ a, b *Stream }{from, to}
	f := l.a.format
	src := &toneSource{freq: 1000, rate: float64(f.SampleRate), amp: 8000}
	pcm := make([]int16, 0, l.a.FrameSamples())
	var out []int16
	tick := time.NewTicker(FrameDuration)
	defer tick.Stop()
	for range frames {
		<-tick.C
		pcm = src.frame(pcm[:0], l.a.FrameSamples())
		if err := l.a.WriteFrame(pcm); err != nil {
			t.Fatal(err)
		}
		out = l.b.ReadFrame(out)
	}
	return out
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStreamTone(t *testing.T) {
	tests := []struct {
		f          codec.Format
		srtp       Profile // 0: clear
		loss, swap float64
	}{
		{codec.PCMU, 0, 0, 0},
		{codec.G722, 0, 0, 0},
		{codec.PCMU, AES128CMHMACSHA180, 0, 0},
		{codec.G722, AES256CMHMACSHA132, 0, 0},
		{codec.PCMU, 0, 0.05, 0.05},
		{codec.G722, AES128CMHMACSHA132, 0.05, 0.05},
		{codec.PCMU, AES256CMHMACSHA180, 0.05, 0.05},
	}
	for _, tt := range tests {
		name := tt.f.Name + "/clear"
		if tt.srtp != 0 {
			name = tt.f.Name + "/" + tt.srtp.String()
		}
		if tt.loss > 0 {
			name += "/lossy"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := newLegs(t, tt.f, tt.srtp != 0, tt.loss, tt.swap)
			if tt.srtp != 0 {
				l.enableSRTP(t, tt.srtp)
			}
			const frames = 100
			out := l.talk(t, frames)
			tol := 1.0
			if tt.loss > 0 {
				tol = 2.5
			}
			checkToneLive(t, out, tt.f.Samples(300*time.Millisecond), 1000, float64(tt.f.SampleRate), 8000, tol)

			// Let delayed packets land, then exchange reports: A's sender
			// report first, so that B's answer carries LSR and DLSR.
			dropped, delayed := l.relay.counts()
			eventually(t, "all packets at B", func() bool {
				// RFC 3550 A.1 probation: counting starts at the second packet.
				return int(l.b.Stats().Receive.Received)+dropped >= frames-1
			})
			if err := l.a.SendReport(); err != nil {
				t.Fatal(err)
			}
			eventually(t, "B to see A's sender report", func() bool {
				l.b.recvMu.Lock()
				defer l.b.recvMu.Unlock()
				return l.b.rep.haveSR
			})
			if err := l.b.SendReport(); err != nil {
				t.Fatal(err)
			}
			var rep RemoteReport
			select {
			case rep = <-l.reportsA:
			case <-time.After(5 * time.Second):
				t.Fatal("A got no report from B")
			}
			sb := l.b.Stats()
			if int(sb.Receive.Lost) != dropped || int(rep.CumulativeLost) != dropped {
				t.Errorf("lost: B counted %d, B's report to A says %d; the relay dropped %d (and delayed %d)", sb.Receive.Lost, rep.CumulativeLost, dropped, delayed)
			}
			sa := l.a.Stats()
			if rep.ExtendedHighestSeq&0xffff != uint32(l.a.snd.seq-1) {
				t.Errorf("report's highest seq %d, A's last sent %d", rep.ExtendedHighestSeq&0xffff, l.a.snd.seq-1)
			}
			if rep.RTT <= 0 || rep.RTT > time.Second {
				t.Errorf("RTT %v from LSR/DLSR, want within (0, 1s]", rep.RTT)
			}
			// Loopback has no jitter of its own, but a loaded machine
			// delays goroutines by tens of ms: only check it is sane and
			// agrees with what B measured.
			if rep.Jitter > 500*time.Millisecond || rep.Jitter != sb.Receive.Jitter {
				t.Errorf("reported jitter %v, B measured %v", rep.Jitter, sb.Receive.Jitter)
			}
			if tt.loss == 0 && rep.FractionLost != 0 {
				t.Errorf("fraction lost %v without loss", rep.FractionLost)
			}
			if sa.SentPackets != frames || sa.SentOctets != frames*160 {
				t.Errorf("A sent %d packets, %d octets; want %d, %d", sa.SentPackets, sa.SentOctets, frames, frames*160)
			}
			if sb.Secure != (tt.srtp != 0) || sb.DroppedAuth != 0 || sb.DroppedClear != 0 || sb.DroppedForeign != 0 {
				t.Errorf("B stats: %+v", sb)
			}
			t.Logf("dropped %d delayed %d; B: %+v; report %+v", dropped, delayed, sb.Receive, rep)
		})
	}
}

func TestStreamDTMF(t *testing.T) {
	for _, enc := range []bool{false, true} {
		t.Run(map[bool]string{false: "clear", true: "SRTP"}[enc], func(t *testing.T) {
			t.Parallel()
			l := newLegs(t, codec.G722, enc, 0, 0)
			if enc {
				l.enableSRTP(t, AES128CMHMACSHA180)
			}
			const digits = "159*#D"
			if err := l.a.SendDTMF(digits, 60*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			l.talk(t, 6*len(digits)+4)
			var got []rune
			for len(got) < len(digits) {
				select {
				case d := <-l.digitsB:
					got = append(got, d.Digit)
					if d.Duration != 60*time.Millisecond {
						t.Errorf("digit %c lasted %v, want 60ms", d.Digit, d.Duration)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("got digits %q, want %q", string(got), digits)
				}
			}
			if string(got) != digits {
				t.Errorf("got digits %q, want %q", string(got), digits)
			}
		})
	}
}

func zrtpPacket(seq uint16, body string) []byte {
	p := []byte{0x10, 0, byte(seq >> 8), byte(seq), 'Z', 'R', 'T', 'P', 0xaa, 0xbb, 0xcc, 0xdd}
	p = append(p, body...)
	return append(p, 0, 0, 0, 0) // CRC: the ZRTP engine checks it, not us
}

func TestStreamZRTPDemux(t *testing.T) {
	t.Parallel()
	l := newLegs(t, codec.PCMU, true, 0, 0)
	want := [][]byte{zrtpPacket(1, "PZ\x00\x16Hello   1.10"), zrtpPacket(2, "PZ\x00\x03HelloACK")}
	for _, p := range want {
		if err := l.a.SendZRTP(p); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range want {
		select {
		case got := <-l.zrtpB:
			if !bytes.Equal(got, w) {
				t.Errorf("ZRTP packet %d\n got %x\nwant %x", i, got, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ZRTP packet %d not delivered", i)
		}
	}
	st := l.b.Stats()
	if st.ZRTPPackets != 2 || st.Receive.Received != 0 || st.Receive.Rejected != 0 || st.DroppedUnknown != 0 {
		t.Errorf("B stats after ZRTP: %+v", st)
	}
	if err := l.a.SendZRTP([]byte{0x80, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4}); err == nil {
		t.Error("SendZRTP sent an RTP packet")
	}
}

func TestStreamPolicy(t *testing.T) {
	t.Run("clear RTP after SRTP is dropped", func(t *testing.T) {
		t.Parallel()
		l := newLegs(t, codec.PCMU, false, 0, 0)
		k := testKeys(AES128CMHMACSHA180, 1)
		if err := l.b.EnableSRTP(k); err != nil { // only B: A keeps sending clear
			t.Fatal(err)
		}
		out := l.talk(t, 20)
		eventually(t, "B to drop A's clear packets", func() bool { return l.b.Stats().DroppedAuth >= 15 })
		st := l.b.Stats()
		if st.Receive.Received != 0 || rms(out) != 0 {
			t.Errorf("B took clear audio under SRTP: received %d, output RMS %.0f", st.Receive.Received, rms(out))
		}
	})
	t.Run("required encryption: nothing sent or played before keys", func(t *testing.T) {
		t.Parallel()
		l := newLegs(t, codec.PCMU, true, 0, 0)
		if err := l.a.SendDTMF("1", 60*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		l.talk(t, 10)
		if st := l.a.Stats(); st.SentPackets != 0 {
			t.Errorf("A sent %d packets in clear against the policy", st.SentPackets)
		}
		// The user chooses to go on in clear on A's side only: B still
		// refuses to play it.
		l.a.AllowClear(true)
		out := l.talk(t, 15)
		eventually(t, "B to refuse clear audio", func() bool { return l.b.Stats().DroppedClear >= 10 })
		if rms(out) != 0 || l.b.Stats().Receive.Received != 0 {
			t.Errorf("B played clear audio against the policy (RMS %.0f)", rms(out))
		}
		select {
		case d := <-l.digitsB:
			t.Errorf("digit %c went out in clear", d.Digit)
		default:
		}
		// Both sides allow clear: the tone comes through.
		l.b.AllowClear(true)
		out = l.talk(t, 40)
		checkToneLive(t, out, codec.PCMU.Samples(300*time.Millisecond), 1000, 8000, 8000, 1)
	})
	t.Run("packets from a stranger are dropped", func(t *testing.T) {
		t.Parallel()
		l := newLegs(t, codec.PCMU, false, 0, 0)
		stranger := listenUDP(t)
		defer stranger.Close()
		pkt, _ := NewSender(codec.PCMU, mustCodec(t, codec.PCMU), 101, 5, 1, 1).Frame(nil, make([]int16, 160), time.Now())
		for _, p := range [][]byte{pkt, zrtpPacket(1, "PZ\x00\x03HelloACK")} {
			if _, err := stranger.WriteToUDPAddrPort(p, l.b.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "B to drop the stranger's packets", func() bool { return l.b.Stats().DroppedForeign == 2 })
		if st := l.b.Stats(); st.Receive.Received != 0 || st.ZRTPPackets != 0 {
			t.Errorf("B took a stranger's packets: %+v", st)
		}
		// A re-INVITE moves the call to the stranger's address.
		l.b.SetRemote(addrOf(stranger))
		if _, err := stranger.WriteToUDPAddrPort(zrtpPacket(2, "PZ\x00\x03HelloACK"), l.b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		eventually(t, "B to take ZRTP from its new remote", func() bool { return l.b.Stats().ZRTPPackets == 1 })
		if err := l.b.SendZRTP(zrtpPacket(3, "PZ\x00\x03HelloACK")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		stranger.SetReadDeadline(time.Now().Add(2 * time.Second))
		if n, _, err := stranger.ReadFromUDPAddrPort(buf); err != nil || Classify(buf[:n]) != KindZRTP {
			t.Errorf("B's ZRTP did not go to its new remote: %v", err)
		}
	})
}

func TestStreamConfig(t *testing.T) {
	c := listenUDP(t)
	defer c.Close()
	if _, err := NewStream(Config{Conn: c}); err == nil {
		t.Error("stream without a remote address")
	}
	if _, err := NewStream(Config{Conn: c, Remote: addrOf(c), Format: codec.Format{Name: "L16", PayloadType: 11}}); err == nil {
		t.Error("stream with an unsupported format")
	}
}

// TestStreamWriteNoAllocs: with the socket, sending a frame still makes
// no garbage.
func TestStreamWriteNoAllocs(t *testing.T) {
	l := newLegs(t, codec.PCMU, true, 0, 0)
	l.enableSRTP(t, AES128CMHMACSHA180)
	pcm := make([]int16, l.a.FrameSamples())
	l.a.WriteFrame(pcm)
	if a := testing.AllocsPerRun(50, func() { l.a.WriteFrame(pcm) }); a != 0 {
		t.Errorf("WriteFrame: %.1f allocations per frame", a)
	}
	out := make([]int16, 0, l.b.FrameSamples())
	if a := testing.AllocsPerRun(50, func() { out = l.b.ReadFrame(out[:0]) }); a != 0 {
		t.Errorf("ReadFrame: %.1f allocations per frame", a)
	}
	// The reading goroutine's work on one datagram, called directly with
	// packets protected under A's keys.
	sp := newSendPath(t, codec.PCMU, 0)
	sp.sess, _ = newSession(testKeys(AES128CMHMACSHA180, 7))
	pkts := make([][]byte, 120)
	for i := range pkts {
		pkts[i] = bytes.Clone(sp.packet())
	}
	for _, p := range pkts[:10] {
		l.b.handle(p, time.Now())
	}
	i := 10
	if a := testing.AllocsPerRun(100, func() { l.b.handle(pkts[i], time.Now()); i++ }); a != 0 {
		t.Errorf("receiving a datagram: %.1f allocations", a)
	}
	if st := l.b.Stats(); st.DroppedAuth != 0 {
		t.Errorf("B refused %d of the packets", st.DroppedAuth)
	}
}

func TestStreamPeriodicReportsAndBye(t *testing.T) {
	t.Parallel()
	ca, cb := listenUDP(t), listenUDP(t)
	reports := make(chan RemoteReport, 64)
	bye := make(chan struct{}, 1)
	a, err := NewStream(Config{Conn: ca, Remote: addrOf(cb), Format: codec.PCMU, RTCPInterval: 40 * time.Millisecond, AllowClear: true,
		OnReport: func(r RemoteReport) { reports <- r }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewStream(Config{Conn: cb, Remote: addrOf(ca), Format: codec.PCMU, RTCPInterval: 40 * time.Millisecond, AllowClear: true,
		OnBye: func() { bye <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	l := &legs{a: a, b: b}
	l.talk(t, 25)
	// B's periodic reports reach A without anyone asking.
	deadline := time.After(5 * time.Second)
	for {
		var r RemoteReport
		select {
		case r = <-reports:
		case <-deadline:
			t.Fatal("no periodic report about A's stream")
		}
		if r.ExtendedHighestSeq&0xffff == uint32(a.snd.seq-1) && r.RTT > 0 {
			if r.CumulativeLost != 0 {
				t.Errorf("loss %d on a direct loopback path", r.CumulativeLost)
			}
			break
		}
	}
	a.Close()
	select {
	case <-bye:
	case <-time.After(5 * time.Second):
		t.Fatal("B heard no BYE when A closed")
	}
}

// TestStreamZRTPKeyOrder follows ZRTP's order of turning SRTP on: the
// initiator A receives SRTP from Confirm2 on, and sends it after Conf2ACK;
// the responder B turns both on at once. No audio is lost or garbled.
func TestStreamZRTPKeyOrder(t *testing.T) {
	t.Parallel()
	l := newLegs(t, codec.PCMU, true, 0, 0)
	k := testKeys(AES128CMHMACSHA132, 40)
	kB := Keys{Profile: k.Profile, LocalKey: k.RemoteKey, LocalSalt: k.RemoteSalt, RemoteKey: k.LocalKey, RemoteSalt: k.LocalSalt}
	if err := l.a.EnableSRTPReceive(k); err != nil { // A sent Confirm2
		t.Fatal(err)
	}
	if err := l.b.EnableSRTP(kB); err != nil { // B sent Conf2ACK
		t.Fatal(err)
	}
	if l.a.Secure() || !l.b.Secure() {
		t.Fatalf("secure: A %v (want false until Conf2ACK), B %v", l.a.Secure(), l.b.Secure())
	}
	out := talk(t, l.b, l.a, 30) // B's SRTP reaches A
	checkToneLive(t, out, 8000*300/1000, 1000, 8000, 8000, 1)
	if st := l.a.Stats(); st.SentPackets != 0 {
		t.Errorf("A sent %d packets before Conf2ACK under require_encrypted_calls", st.SentPackets)
	}
	if err := l.a.EnableSRTP(k); err != nil { // A got Conf2ACK
		t.Fatal(err)
	}
	out = talk(t, l.a, l.b, 30)
	checkToneLive(t, out, 8000*300/1000, 1000, 8000, 8000, 1)
	if a, b := l.a.Stats(), l.b.Stats(); a.DroppedAuth+b.DroppedAuth+a.DroppedClear+b.DroppedClear != 0 {
		t.Errorf("packets dropped: A %+v, B %+v", a, b)
	}
}

// TestStreamZRTPKeyOrderAllowingClear is TestStreamZRTPKeyOrder with
// clear audio allowed (require_encrypted_calls off), as in a call whose
// initiator still sends clear RTP while the responder already sends SRTP:
// the initiator decodes the responder's SRTP (never plays it as clear
// audio) and learns from OnSRTP, once, that the responder has its keys;
// its own clear packets are what the responder drops.
func TestStreamZRTPKeyOrderAllowingClear(t *testing.T) {
	t.Parallel()
	l := newLegs(t, codec.PCMU, false, 0, 0)
	k := testKeys(AES128CMHMACSHA180, 41)
	kB := Keys{Profile: k.Profile, LocalKey: k.RemoteKey, LocalSalt: k.RemoteSalt, RemoteKey: k.LocalKey, RemoteSalt: k.LocalSalt}
	if err := l.a.EnableSRTPReceive(k); err != nil { // A sent Confirm2
		t.Fatal(err)
	}
	if err := l.b.EnableSRTP(kB); err != nil { // B got it, sent Conf2ACK (lost)
		t.Fatal(err)
	}
	out := talk(t, l.b, l.a, 30)
	checkToneLive(t, out, 8000*300/1000, 1000, 8000, 8000, 1)
	select {
	case <-l.srtpA:
	case <-time.After(5 * time.Second):
		t.Fatal("A's OnSRTP was not called for B's SRTP")
	}
	talk(t, l.a, l.b, 5) // A is still clear: B drops it
	eventually(t, "B drops A's 5 clear packets", func() bool { return l.b.Stats().DroppedAuth == 5 })
	if err := l.a.EnableSRTP(k); err != nil { // A: PeerSRTP stood for Conf2ACK
		t.Fatal(err)
	}
	dropped := l.b.Stats().DroppedAuth
	out = talk(t, l.a, l.b, 30)
	checkToneLive(t, out, 8000*300/1000, 1000, 8000, 8000, 1)
	out = talk(t, l.b, l.a, 30)
	checkToneLive(t, out, 8000*300/1000, 1000, 8000, 8000, 1)
	if a, b := l.a.Stats(), l.b.Stats(); a.DroppedAuth != 0 || b.DroppedAuth != dropped {
		t.Errorf("packets dropped once both sent SRTP: A %+v, B %+v", a, b)
	}
	if n := len(l.srtpA); n != 0 {
		t.Errorf("OnSRTP called %d more times", n)
	}
}

// TestStreamRTCPNotMuxed: a peer without rtcp-mux (linphonec's default in
// PEERS.md) gets RTCP on a second socket at port + 1, SRTCP included.
func TestStreamRTCPNotMuxed(t *testing.T) {
	t.Parallel()
	// Sockets at p and p+1 for each side; retry if p+1 is taken.
	pair := func() (*net.UDPConn, *net.UDPConn) {
		for range 20 {
			c := listenUDP(t)
			p := addrOf(c).Port()
			r, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(p) + 1})
			if err == nil {
				return c, r
			}
			c.Close()
		}
		t.Fatal("no two adjacent free ports")
		return nil, nil
	}
	ca, ra := pair()
	cb, rb := pair()
	reports := make(chan RemoteReport, 8)
	a, err := NewStream(Config{Conn: ca, RTCPConn: ra, Remote: addrOf(cb), Format: codec.PCMU, RTCPInterval: -1,
		OnReport: func(r RemoteReport) { reports <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewStream(Config{Conn: cb, RTCPConn: rb, Remote: addrOf(ca), Format: codec.PCMU, RTCPInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, want := a.RemoteRTCP(), netip.AddrPortFrom(addrOf(cb).Addr(), addrOf(cb).Port()+1); got != want {
		t.Fatalf("A's RTCP goes to %v, want %v", got, want)
	}
	k := testKeys(AES256CMHMACSHA180, 9)
	a.EnableSRTP(k)
	b.EnableSRTP(Keys{Profile: k.Profile, LocalKey: k.RemoteKey, LocalSalt: k.RemoteSalt, RemoteKey: k.LocalKey, RemoteSalt: k.LocalSalt})
	out := talk(t, a, b, 40)
	checkToneLive(t, out, 8000*200/1000, 1000, 8000, 8000, 1.5)
	if err := a.SendReport(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B to hear A's SR on its RTCP socket", func() bool {
		b.recvMu.Lock()
		defer b.recvMu.Unlock()
		return b.rep.haveSR
	})
	if err := b.SendReport(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-reports:
		if r.ExtendedHighestSeq&0xffff != uint32(a.snd.seq-1) || r.RTT <= 0 {
			t.Errorf("report %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("A got no report on its RTCP socket")
	}
	// RTP sent to the RTCP port is refused.
	stray, _ := NewSender(codec.PCMU, mustCodec(t, codec.PCMU), 101, 1, 1, 1).Frame(nil, make([]int16, 160), time.Now())
	if _, err := ra.WriteToUDPAddrPort(stray, addrOf(rb)); err == nil {
		eventually(t, "B to refuse RTP on its RTCP socket", func() bool { return b.Stats().DroppedUnknown == 1 })
	}
}
