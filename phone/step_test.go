package phone

import (
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/hw"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

const cur, other, third call.ID = "c1", "c2", "c3"

// one is a State with a single call.
func one(c Call) State { return State{Calls: []Call{c}} }

// states is one representative State per situation: one call in each
// (status, security), then several calls at once.
func states() map[string]State {
	active := func(sec Security) State {
		s := one(Call{ID: cur, Leg: 1, Status: Active, Remote: "bob", Security: sec, SAS: sasFor(sec), Since: t0, Connected: t0})
		s.LastDialed = "bob"
		return s
	}
	lastBob := func(s State) State { s.LastDialed = "bob"; return s }
	bobHeld := Call{ID: cur, Leg: 1, Status: Held, Remote: "bob", Security: Secured, SAS: "ybe8", Since: t0, Connected: t0}
	daveRings := Call{ID: other, Leg: 2, Status: RingingIn, Remote: "dave", Since: t0}
	talkedTo := func(id call.ID, leg int, who string, st Status) Call {
		return Call{ID: id, Leg: leg, Status: st, Remote: who, Since: t0, Connected: t0}
	}
	st := map[string]State{
		"idle":          {},
		"idle+last":     {LastDialed: "bob"},
		"reading":       {SpeedDial: SpeedDial{List: speedList, Since: t0.Add(-FavouriteSlot)}}, // a long ANSWER press: Ann was read, the slot is over
		"dialing":       lastBob(one(Call{Leg: 1, Status: Dialing, Remote: "bob", Outgoing: true, Since: t0})),
		"dialing+id":    lastBob(one(Call{ID: cur, Leg: 1, Status: Dialing, Remote: "bob", Outgoing: true, Since: t0})),
		"ringing-in":    one(Call{ID: cur, Leg: 1, Status: RingingIn, Remote: "alice", Since: t0}),
		"answering":     one(Call{ID: cur, Leg: 1, Status: RingingIn, Remote: "alice", Answering: true, Since: t0}),
		"ringing-out":   lastBob(one(Call{ID: cur, Leg: 1, Status: RingingOut, Remote: "bob", Outgoing: true, Since: t0})),
		"active":        active(Clear),
		"active+nego":   active(Negotiating),
		"active+secure": active(Secured),
		"active+verify": active(Verified),
		"active+failed": active(Failed),
		"active+local":  active(Local),
		"held+secure":   lastBob(one(bobHeld)),
		"ended":         lastBob(one(Call{ID: cur, Leg: 1, Status: Ended, Remote: "bob", Reason: "the other side hung up", Since: t0})),

		// Several calls.
		"waiting": {LastDialed: "bob", Calls: []Call{ // dave calls while bob talks
			{ID: cur, Leg: 1, Status: Active, Remote: "bob", Security: Secured, SAS: "ybe8", Since: t0, Connected: t0}, daveRings}},
		"held+active": {LastDialed: "bob", Calls: []Call{bobHeld, // bob held, dave talking
			{ID: other, Leg: 2, Status: Active, Remote: "dave", Security: Verified, SAS: "zz99", Since: t0, Connected: t0}}},
		"held+ringing": {LastDialed: "bob", Calls: []Call{bobHeld, daveRings}},
		"conference": {LastDialed: "bob", Calls: []Call{ // bob and dave mixed
			{ID: cur, Leg: 1, Status: Active, Conference: true, Remote: "bob", Security: Secured, SAS: "ybe8", Since: t0, Connected: t0},
			{ID: other, Leg: 2, Status: Active, Conference: true, Remote: "dave", Security: Verified, SAS: "zz99", Since: t0, Connected: t0}}},
		"full": {LastDialed: "bob", Calls: []Call{ // MaxCalls: bob talks, the others are held
			talkedTo(cur, 1, "bob", Active), talkedTo(other, 2, "dave", Held), talkedTo("c4", 3, "frank", Held), talkedTo("c5", 4, "grace", Held)}},
	}
	return st
}

func sasFor(s Security) string {
	if s == Secured || s == Verified {
		return "ybe8"
	}
	return ""
}

// events is every event kind, named.
func events() map[string]Event {
	return map[string]Event{
		"press answer":      hw.Press{Button: hw.Answer},
		"press answer long": hw.Press{Button: hw.Answer, Long: true},
		"press hangup":      hw.Press{Button: hw.Hangup},
		"press hangup long": hw.Press{Button: hw.Hangup, Long: true},
		"press sas":         hw.Press{Button: hw.SAS},
		"press sas long":    hw.Press{Button: hw.SAS, Long: true},
		"answer":            Answer{},
		"hangup":            HangUp{},
		"hangup cur":        HangUp{ID: cur},
		"hangup other":      HangUp{ID: other},
		"dial":              Dial{Target: "carol"},
		"dial empty":        Dial{},
		"hold":              Hold{On: true},
		"resume":            Hold{On: false},
		"hold other":        Hold{ID: other, On: true},
		"resume cur":        Hold{ID: cur},
		"resume other":      Hold{ID: other},
		"merge":             Merge{},
		"split cur":         Split{ID: cur},
		"split other":       Split{ID: other},
		"transfer":          Transfer{ID: cur, Target: "carol"},
		"referred":          call.Referred{ID: cur, Target: "sip:carol@example.org"},
		"transfer failed":   call.TransferDone{ID: cur, Reason: "carol is busy"},
		"repeat sas":        RepeatSAS{},
		"dtmf":              SendDTMF{Digits: "12#"},
		"dtmf bad":          SendDTMF{Digits: "12x"},
		"confirm":           ConfirmSAS{Verified: true},
		"unconfirm":         ConfirmSAS{Verified: false},
		"confirm other":     ConfirmSAS{ID: other, Verified: true},
		"tick":              Tick{},
		"favourites":        Favourites{List: speedList},
		"favourites none":   Favourites{},
		"dialed":            dialed{ID: cur},
		"dial failed":       dialFailed("no route"),
		"incoming other":    call.Incoming{ID: other, From: "dave"},
		"incoming third":    call.Incoming{ID: third, From: "erin"},
		"ringing":           call.Ringing{ID: cur},
		"answered":          call.Answered{ID: cur},
		"ended":             call.Ended{ID: cur, Reason: "bye"},
		"remote hold":       call.Held{ID: cur, On: true},
		"negotiating":       call.SecurityNegotiating{ID: cur},
		"secured":           call.Secured{ID: cur, SAS: "ab12"},
		"secured verified":  call.Secured{ID: cur, SAS: "ab12", Verified: true},
		"security failed":   call.SecurityFailed{ID: cur, Reason: "no ZRTP"},
		"key mismatch":      call.KeyMismatch{ID: cur},
		"local":             call.Local{ID: cur},
		// Reports about a call the phone does not have are always ignored.
		"ringing other":  call.Ringing{ID: other},
		"answered other": call.Answered{ID: other},
		"ended other":    call.Ended{ID: other},
		"secured other":  call.Secured{ID: other, SAS: "zz99"},
		"unknown event":  struct{}{},
	}
}

// outcome is what a (state, event) pair must do; mod edits a copy of the
// starting state into the expected one.
type outcome struct {
	mod  func(s *State)
	cmds []Command
	log  *wantLog  // a call ends: the history row, after cmds
	then []Command // after the history row
}

// wantLog is the history row a pair must log. Who, which account, which
// direction and the security come from the starting state's call id
// (the first call when empty), or are given whole in rec; the rest is
// listed per pair.
type wantLog struct {
	id       call.ID
	outcome  Outcome
	reason   string
	duration time.Duration // connected time; the states connected at t0
	rec      *CallRecord   // a call the state does not have
}

func logged(o Outcome, reason string) *wantLog { return &wantLog{outcome: o, reason: reason} }

// talked: a connected call (at t0) ending one second later.
func talked(reason string) *wantLog {
	return &wantLog{outcome: CallAnswered, reason: reason, duration: time.Second}
}

// of makes w the row of call id.
func (w *wantLog) of(id call.ID) *wantLog { w2 := *w; w2.id = id; return &w2 }

func (w *wantLog) command(start State) Command {
	if w.rec != nil {
		return cmdLog{Record: *w.rec}
	}
	c := start.Calls[0]
	if w.id != "" {
		c = *start.find(w.id)
	}
	return cmdLog{Record: CallRecord{Remote: c.Remote, Account: c.Account, Outgoing: c.Outgoing, Start: t0,
		Duration: w.duration, Outcome: w.outcome, Security: c.Security, Reason: w.reason}}
}

// on edits the call id of the state (the first call when id is empty).
func on(id call.ID, f func(c *Call)) func(*State) {
	return func(s *State) {
		if id == "" {
			f(&s.Calls[0])
			return
		}
		for i := range s.Calls {
			if s.Calls[i].ID == id {
				f(&s.Calls[i])
				return
			}
		}
		panic("no call " + string(id))
	}
}

func endedCall(id call.ID, reason string) func(*State) {
	return on(id, func(c *Call) {
		c.Status, c.Reason, c.Answering, c.Conference, c.Since = Ended, reason, false, false, t0.Add(time.Second)
	})
}

func ended(reason string) func(*State) { return endedCall("", reason) }

func status(id call.ID, st Status) func(*State) { return on(id, func(c *Call) { c.Status = st }) }

func newCall(c Call) func(*State) { return func(s *State) { s.Calls = append(s.Calls, c) } }

func dialingCarol(leg int) func(*State) {
	return both(func(s *State) { s.LastDialed = "carol" }, newCall(Call{Leg: leg, Status: Dialing, Remote: "carol", Outgoing: true, Since: t0.Add(time.Second)}))
}

// speedList is the favourites of the speed-dial tests.
var speedList = []Favourite{{Position: 1, Name: "Ann", Target: "sip:ann@example.org"}, {Position: 2, Name: "Ben", Target: "42"}}

func stopReading(s *State) { s.SpeedDial = SpeedDial{} }

func redial(s *State) {
	s.Calls = append(s.Calls, Call{Leg: 1, Status: Dialing, Remote: s.LastDialed, Outgoing: true, Since: t0.Add(time.Second)})
}

func incomingDave(leg int) func(*State) {
	return newCall(Call{ID: other, Leg: leg, Status: RingingIn, Remote: "dave", Since: t0.Add(time.Second)})
}

func incomingErin(leg int) func(*State) {
	return newCall(Call{ID: third, Leg: leg, Status: RingingIn, Remote: "erin", Since: t0.Add(time.Second)})
}

func missed(s *State) { s.Missed++ }

func read(id call.ID) func(*State) { return func(s *State) { s.SASRead = id } }

func security(sec Security, sas string) func(*State) {
	return on("", func(c *Call) { c.Security, c.SAS = sec, sas })
}

func securityOf(id call.ID, sec Security) func(*State) {
	return on(id, func(c *Call) { c.Security = sec })
}

// ringFor is the ring tone starting for a call from caller, who is said
// between rings.
func ringFor(caller string) []Command { return []Command{cmdRing{On: true, Caller: caller}} }

func both(fs ...func(*State)) func(*State) {
	return func(s *State) {
		for _, f := range fs {
			f(s)
		}
	}
}

var (
	ringOff    = cmdRing{On: false}
	waitingOn  = []Command{cmdWaiting{On: true}}
	waitingOff = cmdWaiting{On: false}
	onHold     = []Command{cmdAnnounce{What: CallOnHold}}
	keyChanged = []Command{cmdAnnounce{What: KeyChanged}}
	encFailed  = []Command{cmdAnnounce{What: EncryptionFailed}}
	confirmed  = cmdAnnounce{What: SASConfirmed}
	failedNoZ  = func(id call.ID) func(*State) {
		return on(id, func(c *Call) { c.Security, c.Reason = Failed, "no ZRTP" })
	}
	mismatch    = func(id call.ID) func(*State) { return on(id, func(c *Call) { c.KeyMismatch = true }) }
	remoteHold  = func(id call.ID) func(*State) { return on(id, func(c *Call) { c.RemoteHold = true }) }
	connectedAt = func(id call.ID) func(*State) {
		return on(id, func(c *Call) {
			c.Status, c.Answering, c.Connected, c.Since = Active, false, t0.Add(time.Second), t0.Add(time.Second)
		})
	}
)

// transitions lists every pair that does something. Every other pair of
// states() x events() must be ignored: same state, no command.
func transitions() map[[2]string]outcome {
	tr := map[[2]string]outcome{}
	add := func(states []string, evs []string, o outcome) {
		for _, s := range states {
			for _, e := range evs {
				if _, dup := tr[[2]string{s, e}]; dup {
					panic("duplicate transition " + s + " / " + e)
				}
				tr[[2]string{s, e}] = o
			}
		}
	}
	engaged := []string{"dialing", "dialing+id", "answering", "ringing-out", "active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local"}
	withID := []string{"dialing+id", "ringing-in", "answering", "ringing-out", "active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local", "held+secure"}
	connectedStates := []string{"active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local", "held+secure"}
	actives := []string{"active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local"}
	free := []string{"idle", "idle+last", "ended"}
	answer := []string{"press answer", "press answer long", "answer"}
	hangup := []string{"press hangup", "press hangup long", "hangup"}
	hangupCur := append(slices.Clone(hangup), "hangup cur")
	sas := []string{"press sas", "repeat sas"}
	confirm := []string{"press sas long", "confirm"}

	// Idle (and the few seconds of Ended): dial, redial, ring.
	add(free, []string{"dial"}, outcome{mod: dialingCarol(1), cmds: []Command{cmdDial{Target: "carol"}}})
	add([]string{"idle+last", "ended"}, []string{"press answer", "answer"}, outcome{mod: redial, cmds: []Command{cmdDial{Target: "bob"}}})

	// Speed dial: a long ANSWER press with no call asks for the
	// favourites; they are read one per FavouriteSlot; ANSWER calls the
	// one read, HANGUP stops, a call in or out ends the reading.
	add(free, []string{"press answer long"}, outcome{cmds: []Command{cmdReadFavourites{}}})
	add(free, []string{"favourites"}, outcome{mod: func(s *State) { s.SpeedDial = SpeedDial{List: speedList, Since: t0.Add(time.Second)} },
		cmds: []Command{cmdSayFavourite{Favourite: speedList[0]}}})
	add(free, []string{"favourites none"}, outcome{cmds: []Command{cmdAnnounce{What: NoFavourites}}})
	add([]string{"reading"}, []string{"tick"}, outcome{mod: func(s *State) { s.SpeedDial.At, s.SpeedDial.Since = 1, t0.Add(time.Second) },
		cmds: []Command{cmdSayFavourite{Favourite: speedList[1]}}})
	add([]string{"reading"}, []string{"press answer", "press answer long"}, outcome{
		mod:  both(stopReading, func(s *State) { s.LastDialed = "sip:ann@example.org" }, newCall(Call{Leg: 1, Status: Dialing, Remote: "sip:ann@example.org", Outgoing: true, Since: t0.Add(time.Second)})),
		cmds: []Command{cmdDial{Target: "sip:ann@example.org"}}})
	add([]string{"reading"}, []string{"press hangup", "press hangup long"}, outcome{mod: stopReading})
	add([]string{"reading"}, []string{"dial"}, outcome{mod: both(stopReading, dialingCarol(1)), cmds: []Command{cmdDial{Target: "carol"}}})
	add([]string{"reading"}, []string{"incoming other"}, outcome{mod: both(stopReading, incomingDave(1)), cmds: ringFor("dave")})
	add([]string{"reading"}, []string{"incoming third"}, outcome{mod: both(stopReading, incomingErin(1)), cmds: ringFor("erin")})
	add(free, []string{"incoming other"}, outcome{mod: incomingDave(1), cmds: ringFor("dave")})
	add(free, []string{"incoming third"}, outcome{mod: incomingErin(1), cmds: ringFor("erin")})
	// (Ended -> Idle on a tick after EndedLinger: TestEndedLingers.)

	// One call: a second one waits (the waiting tone while the person is
	// in the call, the ring while the only call is on hold).
	add(engaged, []string{"incoming other"}, outcome{mod: incomingDave(2), cmds: waitingOn})
	add(engaged, []string{"incoming third"}, outcome{mod: incomingErin(2), cmds: waitingOn})
	add([]string{"ringing-in"}, []string{"incoming other"}, outcome{mod: incomingDave(2)})
	add([]string{"ringing-in"}, []string{"incoming third"}, outcome{mod: incomingErin(2)})
	add([]string{"held+secure"}, []string{"incoming other"}, outcome{mod: incomingDave(2), cmds: ringFor("dave")})
	add([]string{"held+secure"}, []string{"incoming third"}, outcome{mod: incomingErin(2), cmds: ringFor("erin")})

	// Dialing.
	add([]string{"dialing"}, []string{"dialed"}, outcome{mod: on("", func(c *Call) { c.ID = cur })})
	add([]string{"dialing"}, []string{"dial failed"}, outcome{mod: ended("no route"), log: logged(CallFailed, "no route")})
	add([]string{"dialing+id", "ringing-out"}, hangupCur, outcome{mod: ended("cancelled"), cmds: []Command{cmdHangup{ID: cur}}, log: logged(CallCancelled, "cancelled")})
	add([]string{"dialing"}, hangup, outcome{mod: ended("cancelled"), cmds: []Command{cmdHangup{ID: ""}}, log: logged(CallCancelled, "cancelled")})
	add([]string{"dialing+id"}, []string{"ringing"}, outcome{mod: status(cur, RingingOut)})
	add([]string{"dialing+id", "ringing-out", "answering"}, []string{"answered"}, outcome{mod: connectedAt(cur)})
	add([]string{"ringing-in"}, []string{"answered"}, outcome{mod: connectedAt(cur), cmds: []Command{ringOff}})

	// Ringing in: answer once, decline, caller gives up.
	add([]string{"ringing-in"}, answer, outcome{mod: on(cur, func(c *Call) { c.Answering = true }), cmds: []Command{ringOff, cmdAnswer{ID: cur}}})
	add([]string{"ringing-in"}, hangupCur, outcome{mod: ended("declined"), cmds: []Command{ringOff, cmdReject{ID: cur, Reason: call.Decline}}, log: logged(CallRejected, "declined")})
	add([]string{"answering"}, hangupCur, outcome{mod: ended("declined"), cmds: []Command{cmdReject{ID: cur, Reason: call.Decline}}, log: logged(CallRejected, "declined")})
	add([]string{"ringing-in"}, []string{"ended"}, outcome{mod: both(ended("bye"), missed), cmds: []Command{ringOff}, log: logged(CallMissed, "bye")})
	add([]string{"answering"}, []string{"ended"}, outcome{mod: both(ended("bye"), missed), log: logged(CallMissed, "bye")})

	// Remote end, remote hold, security reports: any call with an ID.
	add([]string{"dialing+id", "ringing-out"}, []string{"ended"}, outcome{mod: ended("bye"), log: logged(CallFailed, "bye")})
	add(connectedStates, []string{"ended"}, outcome{mod: ended("bye"), log: talked("bye")})
	add(withID, []string{"remote hold"}, outcome{mod: remoteHold(cur)})
	add([]string{"dialing+id", "ringing-in", "answering", "ringing-out", "active"}, []string{"negotiating"}, outcome{mod: security(Negotiating, "")})
	for _, st := range []string{"dialing+id", "ringing-in", "answering", "ringing-out", "active", "active+nego", "active+failed", "active+local"} {
		add([]string{st}, []string{"secured"}, outcome{mod: both(security(Secured, "ab12"), read(cur)), cmds: []Command{cmdSaySAS{SAS: "ab12"}}})
		add([]string{st}, []string{"secured verified"}, outcome{mod: both(security(Verified, "ab12"), read(cur)), cmds: []Command{cmdSaySAS{SAS: "ab12"}}})
	}
	add(withID, []string{"security failed"}, outcome{mod: failedNoZ(cur), cmds: encFailed})
	add(without(withID, "active+verify"), []string{"key mismatch"}, outcome{mod: mismatch(cur), cmds: keyChanged})
	add([]string{"active+verify"}, []string{"key mismatch"}, outcome{mod: both(mismatch(cur), securityOf(cur, Secured)), cmds: keyChanged})
	add([]string{"dialing+id", "ringing-in", "answering", "ringing-out", "active", "active+nego"}, []string{"local"}, outcome{mod: security(Local, "")})

	// Talking: hang up, hold, SAS; a held call alone is resumed by ANSWER,
	// ended by HANGUP, and another call can be dialed beside it.
	add(connectedStates, hangupCur, outcome{mod: ended("you hung up"), cmds: []Command{cmdHangup{ID: cur}}, log: talked("you hung up")})
	add(actives, []string{"hold"}, outcome{mod: status(cur, Held), cmds: []Command{cmdHold{ID: cur, On: true}}})
	add(actives, []string{"dtmf"}, outcome{cmds: []Command{cmdDTMF{ID: cur, Digits: "12#"}}})
	add([]string{"held+secure"}, append([]string{"resume", "resume cur"}, answer...), outcome{mod: status(cur, Active), cmds: []Command{cmdHold{ID: cur, On: false}}})
	add([]string{"held+secure"}, []string{"dial"}, outcome{mod: dialingCarol(2), cmds: []Command{cmdDial{Target: "carol"}}})
	add([]string{"active+secure", "active+verify", "held+secure"}, sas, outcome{mod: read(cur), cmds: []Command{cmdSaySAS{SAS: "ybe8"}}})
	add([]string{"active+secure", "held+secure"}, confirm, outcome{mod: security(Verified, "ybe8"), cmds: []Command{cmdVerify{ID: cur, Verified: true}, confirmed}})
	add([]string{"active+verify"}, []string{"unconfirm"}, outcome{mod: security(Secured, "ybe8"), cmds: []Command{cmdVerify{ID: cur, Verified: false}}})

	multiCalls(add, answer, hangup, sas, confirm)
	return tr
}

// TestStepEveryPair walks every (state, event) pair: listed pairs transition
// as designed, all others are ignored safely.
func TestStepEveryPair(t *testing.T) {
	tr := transitions()
	used := map[[2]string]bool{}
	sts, evs := states(), events()
	for _, sn := range sortedKeys(sts) {
		for _, en := range sortedKeys(evs) {
			key := [2]string{sn, en}
			t.Run(sn+"/"+en, func(t *testing.T) {
				start := sts[sn]
				want := start.clone()
				var wantCmds []Command
				if o, ok := tr[key]; ok {
					used[key] = true
					if o.mod != nil {
						o.mod(&want)
					}
					wantCmds = o.cmds
					if o.log != nil {
						wantCmds = append(slices.Clone(o.cmds), o.log.command(start))
					}
					if o.then != nil {
						wantCmds = append(slices.Clone(wantCmds), o.then...)
					}
				}
				got, cmds := step(start, evs[en], t0.Add(time.Second))
				if !reflect.DeepEqual(got, want) {
					t.Errorf("state:\n got  %+v\n want %+v", got, want)
				}
				if !reflect.DeepEqual(cmds, wantCmds) {
					t.Errorf("commands: got %#v, want %#v", cmds, wantCmds)
				}
				if !reflect.DeepEqual(start, sts[sn]) {
					t.Errorf("step changed its input state")
				}
			})
		}
	}
	for k := range tr {
		if !used[k] {
			t.Errorf("transition %v names an unknown state or event", k)
		}
	}
}

// TestPhoneWideEvents: account, unread and vault reports change only their
// own field, whatever the call is doing.
func TestPhoneWideEvents(t *testing.T) {
	for name, st := range states() {
		got, cmds := step(st, AccountStatus{Account: "alice@sip", Registered: true}, t0)
		if !got.Registered["alice@sip"] || cmds != nil || !reflect.DeepEqual(got.Calls, st.Calls) {
			t.Errorf("%s: AccountStatus: %+v %v", name, got, cmds)
		}
		if st.Registered != nil {
			t.Errorf("%s: input map mutated", name)
		}
		got, _ = step(got, AccountStatus{Account: "alice@sip"}, t0)
		if got.registered() {
			t.Errorf("%s: still registered after going down", name)
		}
		got, _ = step(st, Unread{N: 3}, t0)
		if got.Unread != 3 || !reflect.DeepEqual(got.Calls, st.Calls) {
			t.Errorf("%s: Unread", name)
		}
		got, _ = step(got, Unread{N: -1}, t0)
		if got.Unread != 0 {
			t.Errorf("%s: negative unread kept: %d", name, got.Unread)
		}
		got, cmds = step(st, RequireEncrypted{On: true}, t0)
		if !got.RequireEncrypted || !reflect.DeepEqual(got.Calls, st.Calls) || (cmds != nil) != (name == "conference-clear") {
			t.Errorf("%s: RequireEncrypted: %+v %v", name, got, cmds)
		}
		got, _ = step(st, VaultLocked{Locked: true}, t0)
		if !got.VaultLocked || !reflect.DeepEqual(got.Calls, st.Calls) {
			t.Errorf("%s: VaultLocked", name)
		}
	}
}

func TestEndedLingers(t *testing.T) {
	st := states()["ended"]
	got, _ := step(st, Tick{}, t0.Add(EndedLinger-time.Millisecond))
	if got.Current().Status != Ended {
		t.Fatalf("ended call cleared before EndedLinger")
	}
	got, _ = step(st, Tick{}, t0.Add(EndedLinger))
	if got.Current().Status != Idle || got.Calls != nil || got.LastDialed != "bob" {
		t.Fatalf("after linger: %+v", got)
	}
	// Why it ended stays in the snapshot after the call left the list.
	if ended := st.Current(); got.LastEnded.Reason != ended.Reason || got.LastEnded.Remote != ended.Remote || ended.Reason == "" {
		t.Errorf("after linger the last call is %+v, want the ended %+v", got.LastEnded, ended)
	}
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestTimedCoversTick: the loop runs its clock only while State.timed, so
// in every representative state that is not timed, however much later a
// Tick comes, it must change nothing; and the timed states must be the
// ones a Tick does change, or the clock would run for nothing.
func TestTimedCoversTick(t *testing.T) {
	sts := states()
	held := sts["idle"].clone()
	held.hangupHeld = t0
	sts["idle, HANGUP held"] = held
	reading := sts["idle"].clone()
	reading.SpeedDial = SpeedDial{List: []Favourite{{Name: "bob", Target: "sip:bob@example.org"}}, Since: t0}
	sts["idle, favourites read"] = reading
	timed := 0
	for _, sn := range sortedKeys(sts) {
		s := sts[sn]
		next, cmds := step(s, Tick{}, t0.Add(time.Hour))
		changed := !reflect.DeepEqual(next, s) || len(cmds) > 0
		if changed != s.timed() {
			t.Errorf("%s: timed %v, but a Tick an hour later changes it: %v", sn, s.timed(), changed)
		}
		if s.timed() {
			timed++
		}
	}
	if timed < 3 {
		t.Errorf("only %d timed states among the representative ones: the test proves little", timed)
	}
}
