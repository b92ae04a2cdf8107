package sip

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/internal/testkit/capture"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/callmedia"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/tests/peers/baresip"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
)

// realMedia is the driver's Media backed by callmedia (as in cmd/appliance).
type realMedia struct{ *callmedia.Media }

func (m realMedia) NewSession(id call.ID) (MediaSession, error) {
	s, err := m.Media.NewSession(id)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// securityLog collects what callmedia tells the phone.
type securityLog struct {
	mu  sync.Mutex
	evs []call.Event
}

func (l *securityLog) emit(ev call.Event) { l.mu.Lock(); l.evs = append(l.evs, ev); l.mu.Unlock() }
func (l *securityLog) all() []call.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]call.Event(nil), l.evs...)
}

func writeSine(t *testing.T, path string, freq float64) {
	t.Helper()
	w, err := audio.CreateWAV(path, 8000)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 8000*20)
	for i := range pcm {
		pcm[i] = int16(0.4 * 32767 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	if err := w.Write(pcm); err != nil {
		t.Fatal(err)
	}
	w.Close()
}

func toneLevel(pcm []int16, rate int, freq float64) float64 {
	best := 0.0
	for start := 0; start+rate <= len(pcm); start += rate / 4 {
		w := 2 * math.Pi * freq / float64(rate)
		c := 2 * math.Cos(w)
		var s1, s2 float64
		for _, x := range pcm[start : start+rate] {
			s := float64(x)/32768 + c*s1 - s2
			s2, s1 = s1, s
		}
		best = max(best, 2*math.Sqrt(s1*s1+s2*s2-c*s1*s2)/float64(rate))
	}
	return best
}

// TestSDESOverTLSWithBaresip: baresip (no ZRTP; srtp module,
// mediaenc=srtp-mand) registered to kamailio over TLS calls Padlock, also
// on TLS. Padlock answers its RTP/SAVP offer with SDES keys of its own,
// the call is "encrypted, not end to end", each side hears the other's
// tone, and a capture of Padlock's RTP port holds SRTP only: every packet
// carries the 10-byte HMAC-SHA1-80 tag, and none decodes to the tone in
// clear. ZRTP, attempted on top, gets no answer and fails nothing.
func TestSDESOverTLSWithBaresip(t *testing.T) {
	k := kamailio.StartWith(t, kamailio.Options{TLS: true},
		kamailio.User{Name: "alice", Password: "alicepass"}, kamailio.User{Name: "bob", Password: "bobpass"},
		kamailio.User{Name: "zoe", Password: "zoepass"})
	ear := t.TempDir()
	writeSine(t, filepath.Join(ear, "in.wav"), 700) // Padlock's microphone
	dev, err := audio.NewFile(ear, audio.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	hs := headset.New(dev, nil)
	t.Cleanup(func() { hs.Close() })
	var zid [12]byte
	rand.Read(zid[:])
	sec := &securityLog{}
	cm, err := callmedia.New(callmedia.Config{ZID: zid, Headset: hs, BindIP: netip.MustParseAddr("127.0.0.1"),
		RequireEncryption: func() bool { return true }, RequireEndToEnd: func() bool { return false }, Emit: sec.emit})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{
		Accounts: []Account{{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.TLSAddr, Transport: "tls",
			TLS: &tls.Config{RootCAs: k.Roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}},
			// bob is the same phone on UDP: the same offer reaches it in clear.
			{User: "bob", Password: "bobpass", Domain: "127.0.0.1", Registrar: k.Addr}},
		Media: realMedia{cm}, OnStatus: newStatusLog().report, Backoff: fastBackoff, RequestTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	st := newStatusLog()
	d.cfg.OnStatus = st.report
	d.Start()
	registered := map[string]bool{}
	st.wait(t, 10*time.Second, "alice (TLS) and bob (UDP) registered", func(s AccountStatus) bool {
		registered[s.Account] = s.Registered
		return registered["alice@127.0.0.1"] && registered["bob@127.0.0.1"]
	})

	zoeTone := filepath.Join(t.TempDir(), "zoe.wav")
	writeSine(t, zoeTone, 440)
	zoe := baresip.Start(t, baresip.Config{User: "zoe", Password: "zoepass", Registrar: k.TLSAddr, Transport: "tls",
		MediaEnc: "srtp-mand", Source: zoeTone, Codecs: []string{"PCMU"}, AutoAnswer: true})

	zoe.Send(t, "/dial sip:alice@127.0.0.1;transport=tls")
	in := waitEvent[call.Incoming](t, d, "", callWait)
	sess := d.callMedia(t, in.ID)
	c := capture.Start(t, fmt.Sprintf("udp port %d", sess.Addr().Port()))
	if err := d.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	waitEvent[call.Answered](t, d, in.ID, callWait)
	zoe.WaitFor(t, "SRTP is Enabled", callWait)

	// Padlock hears zoe's 440 Hz (out.wav grows while the call is up).
	deadline := time.Now().Add(callWait)
	for {
		pcm, rate, err := audio.ReadWAV(filepath.Join(ear, "out.wav"))
		if err == nil && rate > 0 && toneLevel(pcm, rate, 440) > 0.3 {
			t.Logf("zoe's 440 Hz in Padlock's headset at %.3f", toneLevel(pcm, rate, 440))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("zoe's tone never reached Padlock's headset (%v)\nbaresip:\n%s", err, zoe.Console())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // a second more of Padlock's tone for zoe's recording
	if err := d.Hangup(in.ID); err != nil {
		t.Fatal(err)
	}
	waitEvent[call.Ended](t, d, in.ID, callWait)
	zoe.WaitFor(t, "terminated", callWait)

	heard, _ := zoe.Recordings()
	if len(heard) == 0 {
		t.Fatalf("baresip recorded nothing:\n%s", zoe.Console())
	}
	pcm, rate, err := audio.ReadWAV(heard[0])
	if err != nil {
		t.Fatal(err)
	}
	if l := toneLevel(pcm, rate, 700); l < 0.3 {
		t.Errorf("Padlock's 700 Hz in baresip's recording at %.3f, want 0.4", l)
	}

	var encrypted bool
	for _, ev := range sec.all() {
		switch ev.(type) {
		case call.EncryptedNotEndToEnd:
			encrypted = true
		case call.SecurityFailed, call.Secured:
			t.Errorf("callmedia reported %#v on an SDES call without ZRTP", ev)
		}
	}
	if !encrypted {
		t.Errorf("the phone was never told the call is encrypted (not end to end): %v", sec.all())
	}

	// The capture: RTP packets both ways, each 12 + 160 + 10 bytes.
	var rtp, clear int
	for _, p := range c.Payloads(t, "") {
		if len(p) < 12 || p[0]>>6 != 2 || p[1]&0x7f != 0 {
			continue // ZRTP, RTCP
		}
		rtp++
		if len(p) != 12+160+10 {
			clear++
		}
	}
	t.Logf("capture: %d PCMU RTP packets on Padlock's port, %d without an SRTP tag", rtp, clear)
	if rtp < 50 || clear != 0 {
		t.Errorf("capture: %d RTP packets, %d of them not SRTP", rtp, clear)
	}

	// The same offer to bob reaches Padlock over UDP: 488 (with the
	// Warning that TestRawRefusals reads).
	mark := zoe.Mark()
	zoe.Send(t, "/dial sip:bob@127.0.0.1")
	line := zoe.WaitForAfter(t, mark, "488", callWait)
	t.Logf("baresip: %s", line)
	select {
	case ev := <-d.Events():
		t.Errorf("the refused SDES offer over UDP made an event: %#v", ev)
	case <-time.After(200 * time.Millisecond):
	}

	// Padlock calls zoe over TLS: its RTP/SAVP offer carries a=crypto
	// (AES-GCM first) beside a=zrtp-hash; baresip takes AES-GCM and
	// answers with its key; audio both ways.
	mark = zoe.Mark()
	before := len(sec.all())
	os.Remove(filepath.Join(ear, "out.wav")) // the next call's headset makes a new one
	out, err := d.DialFrom("alice@127.0.0.1", "zoe")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent[call.Answered](t, d, out, callWait)
	if l := zoe.WaitForAfter(t, mark, "SRTP is Enabled", callWait); !strings.Contains(l, "AEAD_AES_128_GCM") {
		t.Errorf("outgoing: baresip says %q, want AEAD_AES_128_GCM (our first line)", l)
	}
	deadline = time.Now().Add(callWait)
	for {
		pcm, rate, err := audio.ReadWAV(filepath.Join(ear, "out.wav"))
		if err == nil && rate > 0 && toneLevel(pcm, rate, 440) > 0.3 {
			t.Logf("outgoing: zoe's 440 Hz in Padlock's headset at %.3f", toneLevel(pcm, rate, 440))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outgoing: zoe's tone never reached Padlock's headset (%v)\nbaresip:\n%s", err, zoe.Console())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	d.Hangup(out)
	waitEvent[call.Ended](t, d, out, callWait)
	zoe.WaitForAfter(t, mark, "terminated", callWait)
	encrypted = false
	for _, ev := range sec.all()[before:] {
		if _, ok := ev.(call.EncryptedNotEndToEnd); ok {
			encrypted = true
		}
	}
	if !encrypted {
		t.Error("outgoing: the phone was never told the call is encrypted (not end to end)")
	}
	heard, _ = zoe.Recordings()
	var best float64
	for _, f := range heard {
		if pcm, rate, err := audio.ReadWAV(f); err == nil {
			best = max(best, toneLevel(pcm, rate, 700))
		}
	}
	if best < 0.3 {
		t.Errorf("outgoing: Padlock's 700 Hz in baresip's recordings at %.3f, want 0.4", best)
	}
}

// callMedia finds the media session of a call (its RTP port).
func (d *Driver) callMedia(t *testing.T, id call.ID) MediaSession {
	t.Helper()
	c, err := d.call(id)
	if err != nil {
		t.Fatal(err)
	}
	return c.media
}
