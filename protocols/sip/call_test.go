package sip

import (
	"github.com/padlock-phone/padlock/media/sdp"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// callWorld is kamailio with three users: alice is Padlock, bob is a
// linphonec that answers by itself, carol a linphonec that waits for us.
type callWorld struct {
	k     *kamailio.Server
	d     *Driver
	media *udpMedia
	bob   *linphone.Phone
	carol *linphone.Phone
}

func newCallWorld(t *testing.T) *callWorld {
	t.Helper()
	k := kamailio.Start(t,
		kamailio.User{Name: "alice", Password: "alicepass"},
		kamailio.User{Name: "bob", Password: "bobpass"},
		kamailio.User{Name: "carol", Password: "carolpass"})
	w := &callWorld{k: k, media: newUDPMedia()}
	st := newStatusLog()
	d, err := New(Config{
		Accounts: []Account{{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr}},
		Media:    w.media, OnStatus: st.report, Backoff: fastBackoff, KeepAlive: -1, RequestTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	w.d = d
	d.Start()
	w.bob = linphone.Start(t, linphone.Config{User: "bob", Password: "bobpass", Domain: "127.0.0.1", Registrar: k.Addr, AutoAnswer: true})
	w.carol = linphone.Start(t, linphone.Config{User: "carol", Password: "carolpass", Domain: "127.0.0.1", Registrar: k.Addr})
	st.wait(t, 5*time.Second, "alice registered", func(s AccountStatus) bool { return s.Registered })
	return w
}

const callWait = 10 * time.Second

func TestCallsThroughKamailio(t *testing.T) {
	w := newCallWorld(t)
	d := w.d

	// linphonec offers and answers Opus first, as Padlock does.
	t.Run("outgoing answered, Padlock hangs up", func(t *testing.T) {
		mark := w.bob.Mark()
		id, err := d.Dial("bob")
		if err != nil {
			t.Fatal(err)
		}
		waitEvent[call.Answered](t, d, id, callWait)
		w.bob.WaitForAfter(t, mark, "connected", callWait)
		st, ok := w.media.lastStart(id)
		if !ok || !st.Format.Same(codec.Opus) || st.Remote.Addr != netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(w.bob.RTPPort)) {
			t.Errorf("media started with %+v (linphonec RTP port %d)", st, w.bob.RTPPort)
		}
		if err := d.Hangup(id); err != nil {
			t.Fatal(err)
		}
		if e := waitEvent[call.Ended](t, d, id, callWait); e.Reason != "hung up" {
			t.Errorf("reason %q", e.Reason)
		}
		w.bob.WaitForAfter(t, mark, "ended", callWait)
		// kamailio challenges our INVITE (407) and takes the second one.
		n := 0
		for _, l := range strings.Split(w.k.Log(), "\n") {
			if strings.Contains(l, "INVITE sip:bob@127.0.0.1 from") && strings.Contains(l, "@padlock)") {
				n++
			}
		}
		if n != 2 {
			t.Errorf("kamailio saw %d INVITEs from Padlock, want 2 (challenged, then authenticated):\n%s", n, w.k.Log())
		}
	})

	t.Run("outgoing answered, linphonec hangs up", func(t *testing.T) {
		mark := w.bob.Mark()
		id, err := d.Dial("sip:bob@127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		waitEvent[call.Answered](t, d, id, callWait)
		w.bob.WaitForAfter(t, mark, "connected", callWait)
		w.bob.Send(t, "terminate")
		if e := waitEvent[call.Ended](t, d, id, callWait); e.Reason != "the other side hung up" {
			t.Errorf("reason %q", e.Reason)
		}
		if s := w.media.session(id); s == nil || !s.closed {
			t.Error("media not closed")
		}
	})

	t.Run("outgoing cancelled while ringing", func(t *testing.T) {
		mark := w.carol.Mark()
		id, err := d.Dial("carol@127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		waitEvent[call.Ringing](t, d, id, callWait)
		w.carol.WaitForAfter(t, mark, "Receiving new incoming call", callWait)
		if err := d.Hangup(id); err != nil {
			t.Fatal(err)
		}
		waitEvent[call.Ended](t, d, id, callWait)
		w.carol.WaitForAfter(t, mark, "ended", callWait)
	})

	t.Run("outgoing hung up before any answer", func(t *testing.T) {
		mark := w.carol.Mark()
		id, err := d.Dial("carol")
		if err != nil {
			t.Fatal(err)
		}
		d.Hangup(id) // CANCEL waits for the first provisional response
		if e := waitEvent[call.Ended](t, d, id, callWait); e.Reason != "hung up" {
			t.Errorf("reason %q", e.Reason)
		}
		waitLog(t, w.k, "CANCEL sip:carol@127.0.0.1")
		// carol may or may not have seen the INVITE; if she did, it must end.
		if w.carol.Seen(mark, "Receiving new incoming call") {
			w.carol.WaitForAfter(t, mark, "ended", callWait)
		}
	})

	t.Run("incoming answered, Padlock hangs up", func(t *testing.T) {
		mark := w.carol.Mark()
		w.carol.Send(t, "call sip:alice@127.0.0.1")
		in := waitEvent[call.Incoming](t, d, "", callWait)
		if in.From != "carol@127.0.0.1" || in.Account != "alice@127.0.0.1" {
			t.Errorf("incoming %+v", in)
		}
		w.carol.WaitForAfter(t, mark, "ringing", callWait)
		if err := d.Answer(in.ID); err != nil {
			t.Fatal(err)
		}
		waitEvent[call.Answered](t, d, in.ID, callWait)
		w.carol.WaitForAfter(t, mark, "connected", callWait)
		d.Hangup(in.ID)
		waitEvent[call.Ended](t, d, in.ID, callWait)
		w.carol.WaitForAfter(t, mark, "ended", callWait)
	})

	t.Run("incoming answered, linphonec hangs up", func(t *testing.T) {
		mark := w.carol.Mark()
		w.carol.Send(t, "call sip:alice@127.0.0.1")
		in := waitEvent[call.Incoming](t, d, "", callWait)
		d.Answer(in.ID)
		waitEvent[call.Answered](t, d, in.ID, callWait)
		w.carol.WaitForAfter(t, mark, "connected", callWait)
		w.carol.Send(t, "terminate")
		if e := waitEvent[call.Ended](t, d, in.ID, callWait); e.Reason != "the other side hung up" {
			t.Errorf("reason %q", e.Reason)
		}
		w.carol.WaitForAfter(t, mark, "ended", callWait)
	})

	t.Run("incoming cancelled by the caller", func(t *testing.T) {
		mark := w.carol.Mark()
		w.carol.Send(t, "call sip:alice@127.0.0.1")
		in := waitEvent[call.Incoming](t, d, "", callWait)
		w.carol.WaitForAfter(t, mark, "ringing", callWait)
		w.carol.Send(t, "terminate")
		if e := waitEvent[call.Ended](t, d, in.ID, callWait); !strings.Contains(e.Reason, "missed call") {
			t.Errorf("reason %q", e.Reason)
		}
		w.carol.WaitForAfter(t, mark, "ended", callWait)
	})

	// linphonec prints "declined" for 603 but only "error" for 486; the
	// kamailio reply log shows which code it relayed to it.
	for _, tc := range []struct {
		why      call.RejectReason
		linphone string
		reply    string
	}{
		{call.Busy, "alice@127.0.0.1 error.", "reply 486 Busy Here to INVITE"},
		{call.Decline, "ended (Call declined)", "reply 603 Decline to INVITE"},
	} {
		t.Run("incoming rejected "+tc.why.String(), func(t *testing.T) {
			mark := w.carol.Mark()
			w.carol.Send(t, "call sip:alice@127.0.0.1")
			in := waitEvent[call.Incoming](t, d, "", callWait)
			if err := d.Reject(in.ID, tc.why); err != nil {
				t.Fatal(err)
			}
			if e := waitEvent[call.Ended](t, d, in.ID, callWait); !strings.Contains(e.Reason, tc.why.String()) {
				t.Errorf("reason %q", e.Reason)
			}
			l := w.carol.WaitForAfter(t, mark, tc.linphone, callWait)
			t.Logf("linphonec: %s", l)
			waitLog(t, w.k, tc.reply)
		})
	}

	t.Run("linphonec holds and resumes", func(t *testing.T) {
		mark := w.bob.Mark()
		id, err := d.Dial("bob")
		if err != nil {
			t.Fatal(err)
		}
		waitEvent[call.Answered](t, d, id, callWait)
		w.bob.WaitForAfter(t, mark, "connected", callWait)
		for _, on := range []bool{true, false} {
			cmd := "resume"
			if on {
				cmd = "pause"
			}
			bobMark := w.bob.Mark()
			w.bob.Send(t, cmd)
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("linphonec:\n%s\nkamailio:\n%s", w.bob.Console(), w.k.Log())
				}
			})
			if h := waitEvent[call.Held](t, d, id, callWait); h.On != on {
				t.Fatalf("%s: held %v", cmd, h.On)
			}
			st, _ := w.media.lastStart(id)
			if want := map[bool]sdp.Direction{true: sdp.RecvOnly, false: sdp.SendRecv}[on]; st.Dir != want {
				t.Errorf("%s: our media direction %s, want %s", cmd, st.Dir, want)
			}
			if on {
				// linphonec takes "resume" only once its pause completed.
				w.bob.WaitForAfter(t, bobMark, "is now paused", callWait)
			}
		}
		d.Hangup(id)
		waitEvent[call.Ended](t, d, id, callWait)
		w.bob.WaitForAfter(t, mark, "ended", callWait)
	})

	t.Run("hold and resume", func(t *testing.T) {
		mark := w.bob.Mark()
		id, err := d.Dial("bob")
		if err != nil {
			t.Fatal(err)
		}
		waitEvent[call.Answered](t, d, id, callWait)
		w.bob.WaitForAfter(t, mark, "connected", callWait)
		// Hold and resume at once: the second wish waits for the first re-INVITE.
		if err := d.Hold(id, true); err != nil {
			t.Fatal(err)
		}
		if err := d.Hold(id, false); err != nil {
			t.Fatal(err)
		}
		for _, on := range []bool{true, false} {
			if h := waitEvent[LocalHold](t, d, id, callWait); h.Err != nil || h.On != on {
				t.Fatalf("quick hold/resume: %+v, want on=%v", h, on)
			}
		}
		if st, _ := w.media.lastStart(id); st.Dir != sdp.SendRecv {
			t.Errorf("after quick hold/resume media is %s", st.Dir)
		}
		for _, on := range []bool{true, false} {
			bobMark := w.bob.Mark()
			if err := d.Hold(id, on); err != nil {
				t.Fatal(err)
			}
			h := waitEvent[LocalHold](t, d, id, callWait)
			if h.Err != nil || h.On != on {
				t.Fatalf("hold %v: %+v", on, h)
			}
			st, _ := w.media.lastStart(id)
			wantDir, wantRemote := sdp.SendRecv, sdp.SendRecv
			if on {
				wantDir, wantRemote = sdp.SendOnly, sdp.RecvOnly
			}
			if st.Dir != wantDir || st.Remote.Direction != wantRemote {
				t.Errorf("hold %v: media %s, linphonec answered %s", on, st.Dir, st.Remote.Direction)
			}
			if on {
				w.bob.WaitForAfter(t, bobMark, "has been paused by", callWait)
			}
		}
		d.Hangup(id)
		waitEvent[call.Ended](t, d, id, callWait)
		w.bob.WaitForAfter(t, mark, "ended", callWait)
	})
}

// waitLog waits until kamailio's log mentions what.
func waitLog(t *testing.T, k *kamailio.Server, what string) {
	t.Helper()
	deadline := time.Now().Add(callWait)
	for !strings.Contains(k.Log(), what) {
		if time.Now().After(deadline) {
			t.Fatalf("kamailio never logged %q:\n%s", what, k.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
