package main

import (
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/prompts"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// TestCallerAnnounced: while a call from linphonec rings, the headset says
// who calls between rings, found in out.wav by correlation with the
// prompts themselves: bob, in the phonebook as "Bob Builder", is his first
// name spelled ("bravo oscar bravo"); carol, in no phonebook, is "caller
// number" and her address's user part spelled. It logs the time from
// linphonec's call command to the first spoken word.
func TestCallerAnnounced(t *testing.T) {
	d := newClearDesk(t, clearOpts{ring: true})
	a, bob := d.a, d.bob
	d.post(t, "/phonebook", url.Values{"name": {"Bob Builder"}, "addresses": {"sip:bob@127.0.0.1"}})
	spelled := func(text string) func(rate int) []int16 {
		return func(rate int) []int16 { return mustSpell(t, text, rate) }
	}
	numbered := func(text string) func(rate int) []int16 {
		return func(rate int) []int16 {
			return slices.Concat(mustPhrase(t, prompts.Caller, rate), silence(prompts.WordGap, rate), mustSpell(t, text, rate))
		}
	}

	mark := bob.Mark()
	sent := time.Now()
	bob.Send(t, "call sip:alice@127.0.0.1")
	a.waitState(t, "status", "ringing-in")
	ringing := time.Since(sent)
	heardAnnouncement(t, d.ear, spelled("Bob"), "bob's first name")
	t.Logf("bob: ringing %v after linphonec's call command; the first word follows the double ring by design, %v later",
		ringing.Round(time.Millisecond), time.Second+announceAfterRing)
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended (Call declined)", callWait)
	a.waitState(t, "status", "idle")

	carol := linphone.Start(t, linphone.Config{User: "carol", Password: "carol-pw", Domain: "127.0.0.1", Registrar: d.kam.Addr})
	cmark := carol.Mark()
	carol.Send(t, "call sip:alice@127.0.0.1")
	a.waitState(t, "status", "ringing-in")
	heardAnnouncement(t, d.ear, numbered("carol"), "carol's address")
	d.post(t, "/call/hangup", nil)
	carol.WaitForAfter(t, cmark, "ended (Call declined)", callWait)
}

// heardAnnouncement waits until out.wav in ear holds the words (at the
// headset's rate) right after a double ring, where the voice puts them.
func heardAnnouncement(t *testing.T, ear string, words func(rate int) []int16, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		heard, rate, err := audio.ReadWAV(filepath.Join(ear, "out.wav"))
		if err == nil {
			want := words(rate)
			lead := len(prompts.RingBurst(rate)) + len(silence(announceAfterRing, rate))
			if c := bestCorrelation(heard, want, audio.FrameLen(rate), lead); c > 0.9 {
				t.Logf("%s heard (correlation %.2f)", what, c)
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("%s was not spoken into the headset while ringing (best correlation %.2f over %d samples)", what, c, len(heard))
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestSpeedDial: on the simulated board, a long press of ANSWER with no
// call reads the favourites; "one, bravo oscar bravo" is found in the
// headset by correlation with the prompts; ANSWER then calls bob, and
// linphonec rings.
func TestSpeedDial(t *testing.T) {
	d := newClearDesk(t, clearOpts{ring: true})
	a, bob := d.a, d.bob
	d.post(t, "/phonebook", url.Values{"name": {"Bob Builder"}, "addresses": {"sip:bob@127.0.0.1"}, "favourite": {"1"}})

	a.do(t, "POST", "/panel/press", url.Values{"button": {"answer"}, "hold_ms": {"1200"}}, d.csrf)
	deadline := time.Now().Add(20 * time.Second)
	for {
		heard, rate, err := audio.ReadWAV(filepath.Join(d.ear, "out.wav"))
		if err == nil {
			one, err := prompts.Digit(1, rate)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Concat(one, silence(favouriteGap, rate), mustSpell(t, "Bob", rate))
			if c := bestCorrelation(heard, want, audio.FrameLen(rate), 0); c > 0.9 {
				t.Logf("favourite one, bob, heard (correlation %.2f)", c)
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("favourite one was not read into the headset (best correlation %.2f over %d samples)", c, len(heard))
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	mark := bob.Mark()
	a.do(t, "POST", "/panel/press", url.Values{"button": {"answer"}}, d.csrf)
	bob.WaitForAfter(t, mark, "Receiving new incoming call", callWait)
	a.waitState(t, "status", "ringing-out")
	a.do(t, "POST", "/panel/press", url.Values{"button": {"hangup"}}, d.csrf)
	bob.WaitForAfter(t, mark, "ended", callWait)
}
