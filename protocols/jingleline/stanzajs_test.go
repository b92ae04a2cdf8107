package jingleline_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/internal/testkit/capture"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/browser"
	jinglepage "github.com/padlock-phone/padlock/tests/browser/jingle"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// netnsEnv marks the copy of the test binary running inside its own
// network namespace.
const netnsEnv = "PADLOCK_JINGLE_NETNS_BUNDLE"

// TestStanzaJSInChromium is the acceptance against an independent Jingle
// client: StanzaJS 12.22.1 in Debian's Chromium, logged in to prosody over
// its WebSocket, with Chromium's fake microphone playing 440 Hz. Calls go
// both ways with ICE and DTLS-SRTP (StanzaJS has no ZRTP): the browser's
// tone is found in Padlock's headset, Padlock's 1000 Hz in the browser's
// WebAudio analyser, and a hang-up on either side ends both.
//
// WebRTC uses loopback candidates only when no other interface exists, so
// the test runs itself again inside a new network namespace that has
// nothing but lo (unshare, as root); the npm bundle is made before, while
// the registry is reachable.
func TestStanzaJSInChromium(t *testing.T) {
	bundle := os.Getenv(netnsEnv)
	if bundle == "" {
		bundle = jinglepage.Bundle(t)
		if _, err := exec.LookPath("unshare"); err != nil {
			t.Fatal("unshare not found: apt-get install util-linux")
		}
		cmd := exec.Command("unshare", "--net", "--", "sh", "-c", `ip link set lo up && exec "$0" "$@"`,
			os.Args[0], "-test.run=^TestStanzaJSInChromium$", "-test.v", "-test.timeout=4m")
		cmd.Env = append(os.Environ(), netnsEnv+"="+bundle)
		out, err := cmd.CombinedOutput()
		t.Logf("inside the network namespace:\n%s", out)
		if err != nil {
			t.Fatalf("the test in its network namespace failed: %v", err)
		}
		return
	}

	capt := capture.Start(t, "udp") // every UDP datagram on lo: in this namespace, only the calls
	s := prosody.Start(t, prosody.Options{})
	ws := s.EnableWebSocket(t)
	s.Register(t, "alice", "alicepass")
	s.Register(t, "carol", "carolpass")
	alice := newPhone(t, s, "alice", 1000)
	aliceJID, _ := alice.peer.C.JID()

	// The page, served from loopback.
	js, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bundle.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(js)
			return
		}
		fmt.Fprint(w, `<!doctype html><html><head><title>peer</title><script src="/bundle.js"></script></head><body></body></html>`)
	}))
	defer srv.Close()
	wav := filepath.Join(t.TempDir(), "440.wav")
	writeTone(t, wav, 440, 48000)
	ctx := browser.New(t,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
	)
	js1 := func(expr string, out any) {
		t.Helper()
		if err := chromedp.Run(ctx, chromedp.Evaluate(expr, out, awaitPromise)); err != nil {
			var log []string
			chromedp.Run(ctx, chromedp.Evaluate(`window.peer ? window.peer.log : []`, &log))
			t.Fatalf("%s: %v\nbrowser log: %q", expr, err, log)
		}
	}
	waitJS := func(what, expr string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var ok bool
			js1(expr, &ok)
			if ok {
				return
			}
			if time.Now().After(deadline) {
				var log []string
				js1(`window.peer.log`, &log)
				t.Fatalf("the browser never got %s; its log: %q", what, log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	js1(fmt.Sprintf(`window.peer.start(%q, "carolpass", %q)`, "carol@localhost", ws), nil)
	waitJS("logged in", `window.peer.ready`)

	// Alice and Carol see each other online.
	cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := alice.peer.C.AddContact(cctx, "carol@localhost", "", ""); err != nil {
		t.Fatal(err)
	}
	alice.peer.Await(t, "carol's subscription request", func(ev xmpp.Event) bool {
		r, ok := ev.(xmpp.SubscriptionRequest)
		return ok && r.From == "carol@localhost"
	})
	if err := alice.peer.C.Authorize(cctx, "carol@localhost"); err != nil {
		t.Fatal(err)
	}
	alice.peer.Await(t, "carol online", func(ev xmpp.Event) bool {
		p, ok := ev.(xmpp.Presence)
		return ok && p.From == "carol@localhost" && p.Available
	})

	heard := func(dir string) {
		t.Helper()
		// The headset's file holds the earlier call too: wait for a
		// second that is all of this one.
		var l float64
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if l = toneLevel(t, alice, 440); l >= 0.2 {
				break
			}
		}
		if l < 0.2 {
			t.Errorf("%s: the browser's 440 Hz in Padlock's headset at %.3f, want about 0.4", dir, l)
		}
		t.Logf("%s: the browser's 440 Hz in Padlock's headset at %.3f", dir, l)
		deadline := time.Now().Add(15 * time.Second)
		var lv struct {
			DB   float64 `json:"db"`
			Peak float64 `json:"peak"`
		}
		for time.Now().Before(deadline) {
			js1(`window.peer.level(1000)`, &lv)
			if lv.DB > -60 && math.Abs(lv.Peak-1000) < 20 {
				t.Logf("%s: Padlock's 1000 Hz in the browser at %.1f dB", dir, lv.DB)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("%s: Padlock's 1000 Hz not found in the browser (%.1f dB, loudest at %.0f Hz)", dir, lv.DB, lv.Peak)
	}

	// 1. The browser calls Padlock (a plain session-initiate to its full JID).
	js1(fmt.Sprintf(`window.peer.call(%q)`, aliceJID), nil)
	in := await(t, alice, func(ev call.Incoming) bool { return ev.From == "carol@localhost" })
	if err := alice.line.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	sec := await(t, alice, func(ev call.SecuredUnverifiable) bool { return ev.ID == in.ID })
	if sec.PeerFingerprint == "" || sec.LocalFingerprint == "" {
		t.Errorf("fingerprints: %+v", sec)
	}
	heard("browser calls")
	js1(`window.peer.hangup()`, nil)
	end := await(t, alice, func(ev call.Ended) bool { return ev.ID == in.ID })
	t.Logf("browser hung up: %q", end.Reason)

	// 2. Padlock calls the browser (disco finds its Jingle audio, no XEP-0353).
	id, err := alice.line.Dial("xmpp:carol@localhost")
	if err != nil {
		t.Fatal(err)
	}
	waitJS("the incoming call", `window.peer.incoming >= 1`)
	await(t, alice, func(ev call.SecuredUnverifiable) bool { return ev.ID == id })
	heard("Padlock calls")
	if err := alice.line.Hangup(id); err != nil {
		t.Fatal(err)
	}
	waitJS("the hang-up", `window.peer.ended >= 2`)
	await(t, alice, func(ev call.Ended) bool { return ev.ID == id })
	if strings.Contains(fmt.Sprint(alice.evs), "SecurityFailed") {
		t.Errorf("a security failure was reported: %v", alice.evs)
	}
	checkCapture(t, capt.Payloads(t, ""))

	// PADLOCK_JINGLE_CAPTURE=dir keeps what StanzaJS sent, to refresh the
	// captures protocols/jingle's tests and fuzz seeds replay.
	if dir := os.Getenv("PADLOCK_JINGLE_CAPTURE"); dir != "" {
		var sent []string
		js1(`window.peer.sent`, &sent)
		for i, x := range sent {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("stanzajs-%02d.xml", i)), []byte(x), 0o644)
		}
	}
}

// checkCapture: the calls' datagrams are STUN, DTLS and SRTP only (RFC 7983
// first bytes), the audio is Opus (payload type 111, offered first), and
// no RTP is clear. A G.722 or G.711 packet must not have the bare 160-byte
// payload of 20 ms: each carries the 10-byte (AES-CM-80) or 16-byte
// (AES-GCM) tag of SRTP. Opus packets vary in size, so for them: a clear
// Opus stream starts every payload with the same TOC byte (RFC 6716 §3.1,
// one configuration per call), while encrypted payloads start with any
// byte; no first byte may start more than a quarter of a stream's packets.
func checkCapture(t *testing.T, ps [][]byte) {
	t.Helper()
	var stun, dtls, rtp, rtcp, other, clear, opus int
	firsts := map[uint32]map[byte]int{} // Opus SSRC -> first payload byte -> packets
	for _, p := range ps {
		switch {
		case len(p) >= 8 && p[0] < 4 && p[4] == 0x21 && p[5] == 0x12 && p[6] == 0xa4 && p[7] == 0x42:
			stun++
		case len(p) > 0 && p[0] >= 20 && p[0] <= 63:
			dtls++
		case len(p) >= 12 && p[0]>>6 == 2 && p[1] >= 192 && p[1] <= 223:
			rtcp++
		case len(p) >= 12 && p[0]>>6 == 2:
			rtp++
			hdr := 12 + 4*int(p[0]&0x0f)
			if p[0]&0x10 != 0 && len(p) >= hdr+4 {
				hdr += 4 + 4*(int(p[hdr+2])<<8|int(p[hdr+3]))
			}
			switch n := len(p) - hdr; {
			case p[1]&0x7f == 111 && n > 0:
				opus++
				ssrc := uint32(p[8])<<24 | uint32(p[9])<<16 | uint32(p[10])<<8 | uint32(p[11])
				if firsts[ssrc] == nil {
					firsts[ssrc] = map[byte]int{}
				}
				firsts[ssrc][p[hdr]]++
			case n != 170 && n != 176:
				clear++
			}
		default:
			other++
		}
	}
	for ssrc, m := range firsts {
		n, most := 0, 0
		for _, c := range m {
			n, most = n+c, max(most, c)
		}
		if n >= 50 && most*4 > n {
			t.Errorf("Opus stream %08x: %d of %d payloads start with the same byte, as clear Opus does", ssrc, most, n)
			clear += n
		}
	}
	t.Logf("capture: %d STUN, %d DTLS, %d RTP (%d Opus), %d RTCP, %d other datagrams", stun, dtls, rtp, opus, rtcp, other)
	if opus*10 < rtp*9 {
		t.Errorf("%d of %d RTP packets are Opus: the calls should have chosen it, offered first", opus, rtp)
	}
	if stun == 0 || dtls == 0 || rtp < 100 {
		t.Errorf("the calls should show STUN, DTLS and SRTP")
	}
	if clear > 0 || other > 0 {
		t.Errorf("%d RTP packets without an SRTP tag, %d datagrams neither STUN, DTLS nor RTP", clear, other)
	}
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// writeTone writes ten seconds of freq at rate as a WAV file.
func writeTone(t *testing.T, path string, freq float64, rate int) {
	t.Helper()
	w, err := audio.CreateWAV(path, rate)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, rate*30)
	for i := range pcm {
		pcm[i] = int16(0.4 * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	w.Write(pcm)
	w.Close()
}
