package phone

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/hw"
)

// multiCalls adds the transitions of the states with several calls
// (call waiting, hold and switch, the phone full) to the table of
// TestStepEveryPair.
func multiCalls(add func([]string, []string, outcome), answer, hangup, sas, confirm []string) {
	one := func(s string) []string { return []string{s} }
	hold := func(id call.ID, on bool) Command { return cmdHold{ID: id, On: on} }
	declineDave := outcome{mod: endedCall(other, "declined"), cmds: []Command{cmdReject{ID: other, Reason: call.Decline}}, log: logged(CallRejected, "declined").of(other)}
	withTone := func(o outcome, tone ...Command) outcome { o.cmds = append(tone, o.cmds...); return o }
	daveHungUp := logged(CallMissed, "the other side hung up").of(other)

	// A call waits while bob talks: ANSWER holds bob and takes it, HANGUP
	// turns it away and bob goes on; if bob hangs up it rings.
	add(one("waiting"), answer, outcome{mod: both(status(cur, Held), on(other, func(c *Call) { c.Answering = true })),
		cmds: []Command{waitingOff, hold(cur, true), cmdAnswer{ID: other}}})
	add(one("waiting"), append([]string{"hangup other"}, hangup...), withTone(declineDave, waitingOff))
	add(one("waiting"), one("hold"), outcome{mod: status(cur, Held), cmds: []Command{waitingOff, cmdRing{On: true, Caller: "dave"}, hold(cur, true)}})
	add(one("waiting"), sas, outcome{mod: read(cur), cmds: []Command{cmdSaySAS{Leg: 1, SAS: "ybe8"}}})
	add(one("waiting"), one("dtmf"), outcome{cmds: []Command{cmdDTMF{ID: cur, Digits: "12#"}}})
	add(one("waiting"), confirm, outcome{mod: securityOf(cur, Verified), cmds: []Command{cmdVerify{ID: cur, Verified: true}, confirmed}})
	add(one("waiting"), one("incoming third"), outcome{mod: incomingErin(3)})
	add(one("waiting"), one("ended"), outcome{mod: endedCall(cur, "bye"), cmds: []Command{waitingOff, cmdRing{On: true, Caller: "dave"}}, log: talked("bye")})
	add(one("waiting"), one("hangup cur"), outcome{mod: endedCall(cur, "you hung up"), cmds: []Command{waitingOff, cmdRing{On: true, Caller: "dave"}, cmdHangup{ID: cur}},
		log: talked("you hung up")})
	add(one("waiting"), one("remote hold"), outcome{mod: remoteHold(cur)})
	add(one("waiting"), one("security failed"), outcome{mod: failedNoZ(cur), cmds: encFailed})
	add(one("waiting"), one("key mismatch"), outcome{mod: mismatch(cur), cmds: keyChanged})
	add(one("waiting"), one("answered other"), outcome{mod: connectedAt(other), cmds: []Command{waitingOff}})
	add(one("waiting"), one("ended other"), outcome{mod: both(endedCall(other, "the other side hung up"), missed), cmds: []Command{waitingOff}, log: daveHungUp})
	add(one("waiting"), one("secured other"), outcome{mod: both(on(other, func(c *Call) { c.Security, c.SAS = Secured, "zz99" }), read(other)),
		cmds: []Command{cmdSaySAS{Leg: 2, SAS: "zz99"}}})

	// Bob held, dave talking: switch, hang up dave (bob is announced), the
	// SAS of each leg in turn, a third call waits.
	add(one("held+active"), hangup, outcome{mod: endedCall(other, "you hung up"), cmds: []Command{cmdHangup{ID: other}},
		log: talked("you hung up").of(other), then: onHold})
	add(one("held+active"), one("hangup other"), outcome{mod: endedCall(other, "you hung up"), cmds: []Command{cmdHangup{ID: other}},
		log: talked("you hung up").of(other), then: onHold})
	add(one("held+active"), one("hangup cur"), outcome{mod: endedCall(cur, "you hung up"), cmds: []Command{cmdHangup{ID: cur}}, log: talked("you hung up")})
	add(one("held+active"), []string{"hold", "hold other"}, outcome{mod: status(other, Held), cmds: []Command{hold(other, true)}})
	add(one("held+active"), []string{"resume", "resume cur"}, outcome{mod: both(status(other, Held), status(cur, Active)),
		cmds: []Command{hold(other, true), hold(cur, false)}})
	add(one("held+active"), one("dtmf"), outcome{cmds: []Command{cmdDTMF{ID: other, Digits: "12#"}}})
	add(one("held+active"), sas, outcome{mod: read(cur), cmds: []Command{cmdSaySAS{Leg: 1, SAS: "ybe8"}}})
	add(one("held+active"), confirm, outcome{mod: securityOf(cur, Verified), cmds: []Command{cmdVerify{ID: cur, Verified: true}, confirmed}})
	add(one("held+active"), one("unconfirm"), outcome{mod: securityOf(other, Secured), cmds: []Command{cmdVerify{ID: other, Verified: false}}})
	add(one("held+active"), one("ended"), outcome{mod: endedCall(cur, "bye"), log: talked("bye")})
	add(one("held+active"), one("remote hold"), outcome{mod: remoteHold(cur)})
	add(one("held+active"), one("security failed"), outcome{mod: failedNoZ(cur), cmds: encFailed})
	add(one("held+active"), one("key mismatch"), outcome{mod: mismatch(cur), cmds: keyChanged})
	add(one("held+active"), one("ended other"), outcome{mod: endedCall(other, "the other side hung up"),
		log: talked("the other side hung up").of(other), then: onHold})
	add(one("held+active"), one("incoming third"), outcome{mod: incomingErin(3), cmds: waitingOn})

	// Bob held, dave rings (the ring tone: nobody is talking).
	add(one("held+ringing"), answer, outcome{mod: on(other, func(c *Call) { c.Answering = true }), cmds: []Command{ringOff, cmdAnswer{ID: other}}})
	add(one("held+ringing"), append([]string{"hangup other"}, hangup...), withTone(outcome{mod: declineDave.mod, cmds: declineDave.cmds, log: declineDave.log, then: onHold}, ringOff))
	add(one("held+ringing"), one("hangup cur"), outcome{mod: endedCall(cur, "you hung up"), cmds: []Command{cmdHangup{ID: cur}}, log: talked("you hung up")})
	add(one("held+ringing"), []string{"resume", "resume cur"}, outcome{mod: status(cur, Active), cmds: []Command{ringOff, cmdWaiting{On: true}, hold(cur, false)}})
	add(one("held+ringing"), sas, outcome{mod: read(cur), cmds: []Command{cmdSaySAS{Leg: 1, SAS: "ybe8"}}})
	add(one("held+ringing"), confirm, outcome{mod: securityOf(cur, Verified), cmds: []Command{cmdVerify{ID: cur, Verified: true}, confirmed}})
	add(one("held+ringing"), one("ended"), outcome{mod: endedCall(cur, "bye"), log: talked("bye")})
	add(one("held+ringing"), one("remote hold"), outcome{mod: remoteHold(cur)})
	add(one("held+ringing"), one("security failed"), outcome{mod: failedNoZ(cur), cmds: encFailed})
	add(one("held+ringing"), one("key mismatch"), outcome{mod: mismatch(cur), cmds: keyChanged})
	add(one("held+ringing"), one("answered other"), outcome{mod: connectedAt(other), cmds: []Command{ringOff}})
	add(one("held+ringing"), one("ended other"), outcome{mod: both(endedCall(other, "the other side hung up"), missed), cmds: []Command{ringOff}, log: daveHungUp, then: onHold})
	add(one("held+ringing"), one("secured other"), outcome{mod: both(on(other, func(c *Call) { c.Security, c.SAS = Secured, "zz99" }), read(other)),
		cmds: []Command{cmdSaySAS{Leg: 2, SAS: "zz99"}}})
	add(one("held+ringing"), one("incoming third"), outcome{mod: incomingErin(3)})

	// Merge: every connected call joins the conference, held ones resumed.
	mixBoth := cmdMix{Legs: []ConferenceLeg{{ID: cur, Mixed: true}, {ID: other, Mixed: true}}}
	conf := func(ids ...call.ID) func(*State) {
		return func(s *State) {
			for _, id := range ids {
				on(id, func(c *Call) { c.Status, c.Conference = Active, true })(s)
			}
		}
	}
	add(one("held+active"), one("merge"), outcome{mod: conf(cur, other), cmds: []Command{hold(cur, false), mixBoth}})
	add(one("full"), one("merge"), outcome{mod: conf(cur, other, "c4", "c5"), cmds: []Command{hold(other, false), hold("c4", false), hold("c5", false),
		cmdMix{Legs: []ConferenceLeg{{ID: cur, Mixed: true}, {ID: other, Mixed: true}, {ID: "c4", Mixed: true}, {ID: "c5", Mixed: true}}}}})

	// In the conference: HANGUP ends it all, a leg that goes leaves the
	// last one a plain call, split takes one out (the other waits held).
	unmixed := []Command{cmdMix{}}
	plain := func(id call.ID) func(*State) { return on(id, func(c *Call) { c.Conference = false }) }
	row := func(who string, sec Security, reason string) Command {
		return cmdLog{Record: CallRecord{Remote: who, Start: t0, Duration: time.Second, Outcome: CallAnswered, Security: sec, Reason: reason}}
	}
	add(one("conference"), hangup, outcome{mod: both(endedCall(cur, "you hung up"), endedCall(other, "you hung up")),
		cmds: []Command{cmdHangup{ID: cur}, row("bob", Secured, "you hung up"), cmdHangup{ID: other}}, log: talked("you hung up").of(other), then: unmixed})
	add(one("conference"), one("hangup cur"), outcome{mod: both(endedCall(cur, "you hung up"), plain(other)), cmds: []Command{cmdHangup{ID: cur}},
		log: talked("you hung up"), then: unmixed})
	add(one("conference"), one("hangup other"), outcome{mod: both(endedCall(other, "you hung up"), plain(cur)), cmds: []Command{cmdHangup{ID: other}},
		log: talked("you hung up").of(other), then: unmixed})
	add(one("conference"), one("ended"), outcome{mod: both(endedCall(cur, "bye"), plain(other)), log: talked("bye"), then: unmixed})
	add(one("conference"), one("ended other"), outcome{mod: both(endedCall(other, "the other side hung up"), plain(cur)),
		log: talked("the other side hung up").of(other), then: unmixed})
	add(one("conference"), one("hold"), outcome{mod: both(status(cur, Held), status(other, Held)), cmds: []Command{hold(cur, true), hold(other, true), cmdMix{}}})
	add(one("conference"), one("hold other"), outcome{mod: status(other, Held), cmds: []Command{hold(other, true), cmdMix{Legs: []ConferenceLeg{{ID: cur, Mixed: true}}}}})
	add(one("conference"), one("split cur"), outcome{mod: both(plain(cur), plain(other), status(other, Held)), cmds: []Command{hold(other, true), cmdMix{}}})
	add(one("conference"), one("split other"), outcome{mod: both(plain(cur), plain(other), status(cur, Held)), cmds: []Command{hold(cur, true), cmdMix{}}})
	add(one("conference"), sas, outcome{mod: read(cur), cmds: []Command{cmdSaySAS{Leg: 1, SAS: "ybe8"}}})
	add(one("conference"), confirm, outcome{mod: securityOf(cur, Verified), cmds: []Command{cmdVerify{ID: cur, Verified: true}, confirmed}})
	add(one("conference"), one("unconfirm"), outcome{mod: securityOf(other, Secured), cmds: []Command{cmdVerify{ID: other, Verified: false}}})
	add(one("conference"), one("incoming third"), outcome{mod: incomingErin(3), cmds: waitingOn})
	add(one("conference"), one("remote hold"), outcome{mod: remoteHold(cur)})
	add(one("conference"), one("security failed"), outcome{mod: failedNoZ(cur), cmds: encFailed})
	add(one("conference"), one("key mismatch"), outcome{mod: mismatch(cur), cmds: keyChanged})

	// Transfer: a call we talk in (held or not), not a conference leg.
	transferring := outcome{mod: on(cur, func(c *Call) { c.Transfer = "carol" }), cmds: []Command{cmdTransfer{ID: cur, Target: "carol"}}}
	add([]string{"active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local", "held+secure",
		"waiting", "held+active", "held+ringing", "full"}, one("transfer"), transferring)
	// Referred: the peer of a call we talk in asks us to call carol; what
	// talks is held, the phone says so, then dials.
	referredTo := func(leg int) func(*State) {
		return newCall(Call{Leg: leg, Status: Dialing, Remote: "sip:carol@example.org", Outgoing: true, Since: t0.Add(time.Second)})
	}
	followed := func(held ...call.ID) []Command {
		var cmds []Command
		for _, id := range held {
			cmds = append(cmds, hold(id, true))
		}
		return append(cmds, cmdAnnounce{What: Transferring}, cmdDialReferred{Target: "sip:carol@example.org", By: cur})
	}
	add([]string{"active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local"}, one("referred"),
		outcome{mod: both(status(cur, Held), referredTo(2)), cmds: followed(cur)})
	add(one("held+secure"), one("referred"), outcome{mod: referredTo(2), cmds: followed()})
	add(one("held+active"), one("referred"), outcome{mod: both(status(other, Held), referredTo(3)), cmds: followed(other)})
	add(one("conference"), one("referred"), outcome{mod: both(status(cur, Held), status(other, Held), referredTo(3)),
		cmds: append(followed(cur, other), cmdMix{})})

	// MaxCalls busy: one more is turned away (486) and counted as missed.
	missedErin := &wantLog{rec: &CallRecord{Remote: "erin", Start: t0.Add(time.Second), Outcome: CallMissed, Reason: "busy in another call"}}
	add(one("full"), one("incoming third"), outcome{mod: missed, cmds: []Command{cmdReject{ID: third, Reason: call.Busy}}, log: missedErin})
	add(one("full"), append([]string{"hangup cur"}, hangup...), outcome{mod: endedCall(cur, "you hung up"), cmds: []Command{cmdHangup{ID: cur}},
		log: talked("you hung up"), then: onHold})
	add(one("full"), one("hangup other"), outcome{mod: endedCall(other, "you hung up"), cmds: []Command{cmdHangup{ID: other}}, log: talked("you hung up").of(other)})
	add(one("full"), one("hold"), outcome{mod: status(cur, Held), cmds: []Command{hold(cur, true)}})
	add(one("full"), []string{"resume", "resume other"}, outcome{mod: both(status(cur, Held), status(other, Active)),
		cmds: []Command{hold(cur, true), hold(other, false)}})
	add(one("full"), one("dtmf"), outcome{cmds: []Command{cmdDTMF{ID: cur, Digits: "12#"}}})
	add(one("full"), one("ended"), outcome{mod: endedCall(cur, "bye"), log: talked("bye"), then: onHold})
	add(one("full"), one("remote hold"), outcome{mod: remoteHold(cur)})
	add(one("full"), one("negotiating"), outcome{mod: securityOf(cur, Negotiating)})
	add(one("full"), one("secured"), outcome{mod: both(on(cur, func(c *Call) { c.Security, c.SAS = Secured, "ab12" }), read(cur)), cmds: []Command{cmdSaySAS{Leg: 1, SAS: "ab12"}}})
	add(one("full"), one("secured verified"), outcome{mod: both(on(cur, func(c *Call) { c.Security, c.SAS = Verified, "ab12" }), read(cur)), cmds: []Command{cmdSaySAS{Leg: 1, SAS: "ab12"}}})
	add(one("full"), one("security failed"), outcome{mod: failedNoZ(cur), cmds: encFailed})
	add(one("full"), one("key mismatch"), outcome{mod: mismatch(cur), cmds: keyChanged})
	add(one("full"), one("local"), outcome{mod: securityOf(cur, Local)})
	add(one("full"), one("ended other"), outcome{mod: endedCall(other, "the other side hung up"), log: talked("the other side hung up").of(other)})
	add(one("full"), one("secured other"), outcome{mod: both(on(other, func(c *Call) { c.Security, c.SAS = Secured, "zz99" }), read(other)),
		cmds: []Command{cmdSaySAS{Leg: 2, SAS: "zz99"}}})
}

// TestConferenceScenario walks a conference through its life in the
// order a person would: A calls, Padlock calls B (A held), a third call
// comes in and is taken, merge all three, the clear leg is left out of the
// mix while encryption is required, the conference is held for a waiting
// call and rejoined, one leg hangs up, the last two fall back to a call.
func TestConferenceScenario(t *testing.T) {
	s := State{RequireEncrypted: true}
	now := t0
	var cmds []Command
	do := func(ev Event) {
		t.Helper()
		now = now.Add(time.Second)
		s, cmds = step(s, ev, now)
	}
	mixCmd := func() *cmdMix {
		for _, c := range cmds {
			if m, ok := c.(cmdMix); ok {
				return &m
			}
		}
		return nil
	}
	statuses := func() string {
		var out []string
		for _, c := range s.Calls {
			out = append(out, fmt.Sprintf("%s:%s%s", c.ID, c.Status, map[bool]string{true: "+conf"}[c.Conference]))
		}
		return strings.Join(out, " ")
	}
	expect := func(want string) {
		t.Helper()
		if got := statuses(); got != want {
			t.Fatalf("calls %s, want %s", got, want)
		}
	}

	do(call.Incoming{ID: "a", From: "alice"})
	do(Answer{})
	do(call.Answered{ID: "a"})
	do(call.Secured{ID: "a", SAS: "ab12"})
	do(Hold{On: true})
	do(Dial{Target: "bob"})
	do(dialed{ID: "b"})
	do(call.Answered{ID: "b"})
	do(call.Secured{ID: "b", SAS: "cd34"})
	do(call.Incoming{ID: "c", From: "carol"})
	if !slices.Contains(cmds, Command(cmdWaiting{On: true})) {
		t.Fatalf("no waiting tone for carol: %v", cmds)
	}
	do(Answer{})
	do(call.Answered{ID: "c"})
	expect("a:held b:held c:active")

	do(Merge{})
	expect("a:active+conf b:active+conf c:active+conf")
	want := []ConferenceLeg{{ID: "a", Mixed: true}, {ID: "b", Mixed: true}, {ID: "c", Mixed: false}}
	if m := mixCmd(); m == nil || !slices.Equal(m.Legs, want) {
		t.Fatalf("merge mixes %v, want %v (carol is not encrypted yet)", m, want)
	}
	if l := lamps(s); l[hw.Lock] != hw.Off || l[hw.Alert] != hw.On {
		t.Fatalf("lamps with a clear leg: %v", l)
	}
	do(call.Secured{ID: "c", SAS: "ef56"})
	want[2].Mixed = true
	if m := mixCmd(); m == nil || !slices.Equal(m.Legs, want) {
		t.Fatalf("carol secured: mix %v", m)
	}
	if !slices.Contains(cmds, Command(cmdSaySAS{Leg: 3, SAS: "ef56"})) {
		t.Fatalf("carol's SAS not read as the third caller: %v", cmds)
	}
	// SAS presses: the legs in turn from the one read last (carol), and
	// a long press confirms the leg read last.
	for _, wantSAS := range []cmdSaySAS{{Leg: 1, SAS: "ab12"}, {Leg: 2, SAS: "cd34"}} {
		do(hw.Press{Button: hw.SAS})
		if !slices.Equal(cmds, []Command{wantSAS}) {
			t.Fatalf("short SAS press: %v, want %v", cmds, wantSAS)
		}
	}
	do(hw.Press{Button: hw.SAS, Long: true})
	if c := s.find("b"); c.Security != Verified || s.find("a").Security != Secured {
		t.Fatalf("long press confirmed the wrong leg: %+v", s.Calls)
	}
	for _, id := range []call.ID{"a", "c"} {
		do(ConfirmSAS{ID: id, Verified: true})
	}
	if lamps(s)[hw.Lock] != hw.On {
		t.Fatalf("every leg verified, LOCK %v", lamps(s)[hw.Lock])
	}

	// A call waits: ANSWER holds the whole conference; when that call is
	// over, ANSWER brings the conference back together.
	do(call.Incoming{ID: "d", From: "dave"})
	do(Answer{})
	expect("a:held+conf b:held+conf c:held+conf d:ringing-in")
	if m := mixCmd(); m == nil || m.Legs != nil {
		t.Fatalf("held conference still mixed: %v", m)
	}
	do(call.Answered{ID: "d"})
	do(HangUp{})
	if !slices.Contains(cmds, Command(cmdAnnounce{What: CallOnHold})) {
		t.Fatalf("held conference not announced: %v", cmds)
	}
	do(Answer{})
	expect("a:active+conf b:active+conf c:active+conf d:ended")
	if m := mixCmd(); m == nil || len(m.Legs) != 3 {
		t.Fatalf("rejoined conference: mix %v", m)
	}

	// Alice hangs up: bob and carol go on; then bob: carol is a plain call.
	do(call.Ended{ID: "a"})
	expect("a:ended b:active+conf c:active+conf d:ended")
	do(HangUp{ID: "b"})
	expect("a:ended b:ended c:active d:ended")
	if m := mixCmd(); m == nil || m.Legs != nil {
		t.Fatalf("last leg still in a conference: %v", m)
	}
	do(SendDTMF{Digits: "1"})
	if !slices.Equal(cmds, []Command{cmdDTMF{ID: "c", Digits: "1"}}) {
		t.Fatalf("the last call is not a plain call again: DTMF %v", cmds)
	}
}

// TestTransferFails: a transfer the peer could not complete leaves the
// call as it was, says why, and can be tried again; one that worked ends
// the call when the driver says so.
func TestTransferFails(t *testing.T) {
	s := states()["active+secure"]
	s, cmds := step(s, Transfer{ID: cur, Target: " carol "}, t0)
	if !slices.Equal(cmds, []Command{cmdTransfer{ID: cur, Target: "carol"}}) || s.Calls[0].Transfer != "carol" {
		t.Fatalf("transfer: %v %+v", cmds, s.Calls[0])
	}
	if again, cmds := step(s, Transfer{ID: cur, Target: "dave"}, t0); cmds != nil || again.Calls[0].Transfer != "carol" {
		t.Fatalf("a second transfer while one runs: %v", cmds)
	}
	failed, cmds := step(s, call.TransferDone{ID: cur, Reason: "carol is busy"}, t0)
	if !slices.Equal(cmds, []Command{cmdAnnounce{What: TransferFailed}}) || failed.Calls[0].Transfer != "" ||
		failed.Calls[0].Reason != "carol is busy" || failed.Calls[0].Status != Active {
		t.Fatalf("failed transfer: %v %+v", cmds, failed.Calls[0])
	}
	if _, cmds := step(failed, Transfer{ID: cur, Target: "carol"}, t0); len(cmds) != 1 {
		t.Fatalf("transfer again after a failure: %v", cmds)
	}
	done, cmds := step(s, call.TransferDone{ID: cur, OK: true}, t0)
	if cmds != nil || done.Calls[0].Status != Active {
		t.Fatalf("transfer done: %v %+v", cmds, done.Calls[0])
	}
	gone, _ := step(done, call.Ended{ID: cur, Reason: "transferred to carol"}, t0.Add(time.Second))
	if gone.Calls[0].Status != Ended || gone.Calls[0].Reason != "transferred to carol" {
		t.Fatalf("after the transfer: %+v", gone.Calls[0])
	}
}
