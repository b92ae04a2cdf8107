package phone

import (
	"time"

	"github.com/padlock-phone/padlock/call"
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
	add(one("waiting"), one("hold"), outcome{mod: status(cur, Held), cmds: []Command{waitingOff, cmdRing{On: true}, hold(cur, true)}})
	add(one("waiting"), sas, outcome{mod: read(cur), cmds: []Command{cmdSaySAS{Leg: 1, SAS: "ybe8"}}})
	add(one("waiting"), one("dtmf"), outcome{cmds: []Command{cmdDTMF{ID: cur, Digits: "12#"}}})
	add(one("waiting"), confirm, outcome{mod: securityOf(cur, Verified), cmds: []Command{cmdVerify{ID: cur, Verified: true}, confirmed}})
	add(one("waiting"), one("incoming third"), outcome{mod: incomingErin(3)})
	add(one("waiting"), one("ended"), outcome{mod: endedCall(cur, "bye"), cmds: []Command{waitingOff, cmdRing{On: true}}, log: talked("bye")})
	add(one("waiting"), one("hangup cur"), outcome{mod: endedCall(cur, "you hung up"), cmds: []Command{waitingOff, cmdRing{On: true}, cmdHangup{ID: cur}},
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
