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

const cur, other call.ID = "c1", "c2"

// states is one representative State per (status, security) situation.
func states() map[string]State {
	active := func(sec Security) State {
		return State{LastDialed: "bob", Call: Call{ID: cur, Status: Active, Remote: "bob", Security: sec, SAS: sasFor(sec), Since: t0, Connected: t0}}
	}
	st := map[string]State{
		"idle":          {},
		"idle+last":     {LastDialed: "bob"},
		"dialing":       {LastDialed: "bob", Call: Call{Status: Dialing, Remote: "bob", Outgoing: true, Since: t0}},
		"dialing+id":    {LastDialed: "bob", Call: Call{ID: cur, Status: Dialing, Remote: "bob", Outgoing: true, Since: t0}},
		"ringing-in":    {Call: Call{ID: cur, Status: RingingIn, Remote: "alice", Since: t0}},
		"answering":     {Call: Call{ID: cur, Status: RingingIn, Remote: "alice", Answering: true, Since: t0}},
		"ringing-out":   {LastDialed: "bob", Call: Call{ID: cur, Status: RingingOut, Remote: "bob", Outgoing: true, Since: t0}},
		"active":        active(Clear),
		"active+nego":   active(Negotiating),
		"active+secure": active(Secured),
		"active+verify": active(Verified),
		"active+failed": active(Failed),
		"active+local":  active(Local),
		"active+sdes":   active(Encrypted),
		"held+secure":   {LastDialed: "bob", Call: Call{ID: cur, Status: Held, Remote: "bob", Security: Secured, SAS: "ybe8", Since: t0, Connected: t0}},
		"ended":         {LastDialed: "bob", Call: Call{ID: cur, Status: Ended, Remote: "bob", Reason: "the other side hung up", Since: t0}},
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
		"dial":              Dial{Target: "carol"},
		"dial empty":        Dial{},
		"hold":              Hold{On: true},
		"resume":            Hold{On: false},
		"repeat sas":        RepeatSAS{},
		"dtmf":              SendDTMF{Digits: "12#"},
		"dtmf bad":          SendDTMF{Digits: "12x"},
		"confirm":           ConfirmSAS{Verified: true},
		"unconfirm":         ConfirmSAS{Verified: false},
		"tick":              Tick{},
		"dialed":            dialed{ID: cur},
		"dial failed":       dialFailed("no route"),
		"incoming other":    call.Incoming{ID: other, From: "dave"},
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
		"encrypted":         call.EncryptedNotEndToEnd{ID: cur},
		// Reports about a call that is not ours are always ignored.
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
	log  *wantLog // the call ends: the history row, after cmds
}

// wantLog is the history row a pair must log. Who, which account, which
// direction and the security come from the starting state's call (or are
// given whole in rec); the rest is listed per pair.
type wantLog struct {
	outcome  Outcome
	reason   string
	duration time.Duration // connected time; the states connected at t0
	rec      *CallRecord   // a call other than the current one
}

func logged(o Outcome, reason string) *wantLog { return &wantLog{outcome: o, reason: reason} }

// talked: a connected call (at t0) ending one second later.
func talked(reason string) *wantLog {
	return &wantLog{outcome: CallAnswered, reason: reason, duration: time.Second}
}

func (w *wantLog) command(start State) Command {
	if w.rec != nil {
		return cmdLog{Record: *w.rec}
	}
	c := start.Call
	return cmdLog{Record: CallRecord{Remote: c.Remote, Account: c.Account, Outgoing: c.Outgoing, Start: t0,
		Duration: w.duration, Outcome: w.outcome, Security: c.Security, Reason: w.reason}}
}

func ended(reason string) func(*State) {
	return func(s *State) {
		s.Call.Status, s.Call.Reason, s.Call.Answering, s.Call.Since = Ended, reason, false, t0.Add(time.Second)
	}
}

func dialingCarol(s *State) {
	s.LastDialed = "carol"
	s.Call = Call{Status: Dialing, Remote: "carol", Outgoing: true, Since: t0.Add(time.Second)}
}

func redial(s *State) {
	s.Call = Call{Status: Dialing, Remote: s.LastDialed, Outgoing: true, Since: t0.Add(time.Second)}
}

func incoming(s *State) {
	s.Call = Call{ID: other, Status: RingingIn, Remote: "dave", Since: t0.Add(time.Second)}
}

func busy(s *State) { s.Missed++ }

func security(sec Security, sas string) func(*State) {
	return func(s *State) { s.Call.Security, s.Call.SAS = sec, sas }
}

func both(fs ...func(*State)) func(*State) {
	return func(s *State) {
		for _, f := range fs {
			f(s)
		}
	}
}

var (
	rejectBusy = []Command{cmdReject{ID: other, Reason: call.Busy}}
	ringOn     = []Command{cmdRing{On: true}}
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
	busyStates := []string{"dialing", "dialing+id", "ringing-in", "answering", "ringing-out", "active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local", "active+sdes", "held+secure"}
	withID := busyStates[1:]
	free := []string{"idle", "idle+last", "ended"}
	answer := []string{"press answer", "press answer long", "answer"}
	hangup := []string{"press hangup", "press hangup long", "hangup"}

	// Idle (and the few seconds of Ended): dial, redial, ring.
	add(free, []string{"dial"}, outcome{mod: dialingCarol, cmds: []Command{cmdDial{Target: "carol"}}})
	add([]string{"idle+last", "ended"}, answer, outcome{mod: redial, cmds: []Command{cmdDial{Target: "bob"}}})
	add(free, []string{"incoming other"}, outcome{mod: incoming, cmds: ringOn})
	// (Ended -> Idle on a tick after EndedLinger: TestEndedLingers.)

	// Busy: a second call gets 486 and counts as missed.
	missedDave := &wantLog{rec: &CallRecord{Remote: "dave", Start: t0.Add(time.Second), Outcome: CallMissed, Reason: "busy in another call"}}
	add(busyStates, []string{"incoming other"}, outcome{mod: busy, cmds: rejectBusy, log: missedDave})

	// Dialing.
	add([]string{"dialing"}, []string{"dialed"}, outcome{mod: func(s *State) { s.Call.ID = cur }})
	add([]string{"dialing"}, []string{"dial failed"}, outcome{mod: ended("no route"), log: logged(CallFailed, "no route")})
	add([]string{"dialing+id", "ringing-out"}, hangup, outcome{mod: ended("cancelled"), cmds: []Command{cmdHangup{ID: cur}}, log: logged(CallCancelled, "cancelled")})
	add([]string{"dialing"}, hangup, outcome{mod: ended("cancelled"), cmds: []Command{cmdHangup{ID: ""}}, log: logged(CallCancelled, "cancelled")})
	add([]string{"dialing+id"}, []string{"ringing"}, outcome{mod: func(s *State) { s.Call.Status = RingingOut }})
	connected := func(s *State) {
		s.Call.Status, s.Call.Answering, s.Call.Connected, s.Call.Since = Active, false, t0.Add(time.Second), t0.Add(time.Second)
	}
	add([]string{"dialing+id", "ringing-out", "answering"}, []string{"answered"}, outcome{mod: connected})
	add([]string{"ringing-in"}, []string{"answered"}, outcome{mod: connected, cmds: []Command{cmdRing{On: false}}})

	// Ringing in: answer once, decline, caller gives up.
	add([]string{"ringing-in"}, answer, outcome{mod: func(s *State) { s.Call.Answering = true }, cmds: []Command{cmdRing{On: false}, cmdAnswer{ID: cur}}})
	add([]string{"ringing-in", "answering"}, hangup, outcome{mod: ended("declined"), cmds: []Command{cmdRing{On: false}, cmdReject{ID: cur, Reason: call.Decline}}, log: logged(CallRejected, "declined")})
	add([]string{"ringing-in", "answering"}, []string{"ended"}, outcome{mod: both(ended("bye"), busy), cmds: []Command{cmdRing{On: false}}, log: logged(CallMissed, "bye")})

	// Remote end, remote hold, security reports: any call with an ID.
	add([]string{"dialing+id", "ringing-out"}, []string{"ended"}, outcome{mod: ended("bye"), log: logged(CallFailed, "bye")})
	add([]string{"active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local", "active+sdes", "held+secure"}, []string{"ended"}, outcome{mod: ended("bye"), log: talked("bye")})
	add(withID, []string{"remote hold"}, outcome{mod: func(s *State) { s.Call.RemoteHold = true }})
	add([]string{"dialing+id", "ringing-in", "answering", "ringing-out", "active"}, []string{"negotiating"}, outcome{mod: security(Negotiating, "")})
	for _, st := range []string{"dialing+id", "ringing-in", "answering", "ringing-out", "active", "active+nego", "active+failed", "active+local", "active+sdes"} {
		add([]string{st}, []string{"secured"}, outcome{mod: security(Secured, "ab12"), cmds: []Command{cmdSaySAS{SAS: "ab12"}}})
		add([]string{st}, []string{"secured verified"}, outcome{mod: security(Verified, "ab12"), cmds: []Command{cmdSaySAS{SAS: "ab12"}}})
	}
	add(withID, []string{"security failed"}, outcome{mod: func(s *State) { s.Call.Security, s.Call.Reason = Failed, "no ZRTP" },
		cmds: []Command{cmdAnnounce{What: EncryptionFailed}}})
	keyChanged := []Command{cmdAnnounce{What: KeyChanged}}
	add(without(withID, "active+verify"), []string{"key mismatch"}, outcome{mod: func(s *State) { s.Call.KeyMismatch = true }, cmds: keyChanged})
	add([]string{"active+verify"}, []string{"key mismatch"}, outcome{mod: func(s *State) { s.Call.KeyMismatch, s.Call.Security = true, Secured }, cmds: keyChanged})
	add([]string{"dialing+id", "ringing-in", "answering", "ringing-out", "active", "active+nego"}, []string{"local"}, outcome{mod: security(Local, "")})
	// SDES: encrypted, not end to end, from a call without keys only; a
	// ZRTP Secured later replaces it (the "secured" loop above).
	add([]string{"dialing+id", "ringing-in", "answering", "ringing-out", "active", "active+nego"}, []string{"encrypted"},
		outcome{mod: security(Encrypted, ""), cmds: []Command{cmdAnnounce{What: NotEndToEnd}}})

	// Talking: hang up, hold, SAS.
	add([]string{"active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local", "active+sdes", "held+secure"}, hangup, outcome{mod: ended("you hung up"), cmds: []Command{cmdHangup{ID: cur}}, log: talked("you hung up")})
	for _, st := range []string{"active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local", "active+sdes"} {
		add([]string{st}, []string{"hold"}, outcome{mod: func(s *State) { s.Call.Status = Held }, cmds: []Command{cmdHold{ID: cur, On: true}}})
	}
	for _, st := range []string{"active", "active+nego", "active+secure", "active+verify", "active+failed", "active+local", "active+sdes"} {
		add([]string{st}, []string{"dtmf"}, outcome{cmds: []Command{cmdDTMF{ID: cur, Digits: "12#"}}})
	}
	add([]string{"held+secure"}, []string{"resume"}, outcome{mod: func(s *State) { s.Call.Status = Active }, cmds: []Command{cmdHold{ID: cur, On: false}}})
	add([]string{"active+secure", "active+verify", "held+secure"}, []string{"press sas", "repeat sas"}, outcome{cmds: []Command{cmdSaySAS{SAS: "ybe8"}}})
	add([]string{"active+secure", "held+secure"}, []string{"press sas long", "confirm"}, outcome{mod: security(Verified, "ybe8"), cmds: []Command{cmdVerify{ID: cur, Verified: true}, cmdAnnounce{What: SASConfirmed}}})
	add([]string{"active+verify"}, []string{"unconfirm"}, outcome{mod: security(Secured, "ybe8"), cmds: []Command{cmdVerify{ID: cur, Verified: false}}})
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
		if !got.Registered["alice@sip"] || cmds != nil || !reflect.DeepEqual(got.Call, st.Call) {
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
		if got.Unread != 3 || !reflect.DeepEqual(got.Call, st.Call) {
			t.Errorf("%s: Unread", name)
		}
		got, _ = step(got, Unread{N: -1}, t0)
		if got.Unread != 0 {
			t.Errorf("%s: negative unread kept: %d", name, got.Unread)
		}
		got, _ = step(st, VaultLocked{Locked: true}, t0)
		if !got.VaultLocked || !reflect.DeepEqual(got.Call, st.Call) {
			t.Errorf("%s: VaultLocked", name)
		}
	}
}

func TestEndedLingers(t *testing.T) {
	st := states()["ended"]
	got, _ := step(st, Tick{}, t0.Add(EndedLinger-time.Millisecond))
	if got.Call.Status != Ended {
		t.Fatalf("ended call cleared before EndedLinger")
	}
	got, _ = step(st, Tick{}, t0.Add(EndedLinger))
	if got.Call.Status != Idle || got.LastDialed != "bob" {
		t.Fatalf("after linger: %+v", got)
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
