package phone

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/hw"
)

// TestDoNotDisturbByButton: HANGUP held OwnerHold alone with no call
// toggles do-not-disturb once ownerTogether has passed without SAS; held
// with SAS it is the owner gesture only; during a call it does nothing.
func TestDoNotDisturbByButton(t *testing.T) {
	owner := func(b hw.Button) hw.Press { return hw.Press{Button: b, Long: true, Owner: true} }
	on, off := []Command{cmdAnnounce{What: DoNotDisturbOn}}, []Command{cmdAnnounce{What: DoNotDisturbOff}}
	type step1 struct {
		after time.Duration
		ev    Event
		want  []Command
	}
	for _, tc := range []struct {
		name    string
		state   string
		steps   []step1
		wantDND bool
	}{
		{"hangup alone", "idle", []step1{{0, owner(hw.Hangup), nil}, {500 * time.Millisecond, Tick{}, nil}, {ownerTogether, Tick{}, on}, {time.Second, Tick{}, nil}}, true},
		{"twice is off", "idle", []step1{{0, owner(hw.Hangup), nil}, {ownerTogether, Tick{}, on}, {time.Second, owner(hw.Hangup), nil}, {ownerTogether, Tick{}, off}}, false},
		{"ended call lingering", "ended", []step1{{0, owner(hw.Hangup), nil}, {ownerTogether, Tick{}, on}}, true},
		{"with sas: the owner gesture", "idle", []step1{{0, owner(hw.Hangup), nil}, {200 * time.Millisecond, owner(hw.SAS), []Command{cmdOwnerPresent{}, cmdAnnounce{What: ThrottleCleared}}}, {ownerTogether, Tick{}, nil}}, false},
		{"in a call", "active", []step1{{0, owner(hw.Hangup), nil}, {ownerTogether, Tick{}, nil}}, false},
		{"web admin", "idle", []step1{{0, SetDoNotDisturb{On: true}, on}, {0, SetDoNotDisturb{On: true}, nil}}, true},
		{"web admin off", "idle", []step1{{0, SetDoNotDisturb{On: true}, on}, {0, SetDoNotDisturb{}, off}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, now := states()[tc.state], t0
			for i, st := range tc.steps {
				now = now.Add(st.after)
				var cmds []Command
				s, cmds = step(s, st.ev, now)
				if !reflect.DeepEqual(cmds, st.want) {
					t.Fatalf("step %d (%T): commands %#v, want %#v", i, st.ev, cmds, st.want)
				}
			}
			if s.DoNotDisturb != tc.wantDND {
				t.Errorf("do-not-disturb %v, want %v", s.DoNotDisturb, tc.wantDND)
			}
		})
	}
}

// TestDoNotDisturbRejects: with do-not-disturb on, an incoming call is
// turned away busy (486) and logged missed; STATUS blinks, ahead of
// unread messages.
func TestDoNotDisturbRejects(t *testing.T) {
	s := State{DoNotDisturb: true, Unread: 2, Registered: map[string]bool{"alice": true}}
	if l := lamps(s); l[hw.Status] != hw.Blink {
		t.Errorf("STATUS with do-not-disturb: %v, want blink", l[hw.Status])
	}
	now := t0.Add(time.Minute)
	next, cmds := step(s, call.Incoming{ID: "x", From: "dave"}, now)
	in := Call{ID: "x", Status: RingingIn, Remote: "dave", Since: now}
	want := []Command{cmdReject{ID: "x", Reason: call.Busy}, record(in, CallMissed, "do not disturb", now)}
	if !reflect.DeepEqual(cmds, want) {
		t.Errorf("commands %#v, want %#v", cmds, want)
	}
	if len(next.Calls) != 0 || next.Missed != 1 {
		t.Errorf("after the call: %d calls, %d missed; want 0, 1", len(next.Calls), next.Missed)
	}
}

// TestDoNotDisturbForwards: with a forward target, do-not-disturb sends
// the caller there instead of turning them away, still logged missed; the
// button's toggle keeps the target.
func TestDoNotDisturbForwards(t *testing.T) {
	s, _ := step(State{}, SetForwardTarget{To: "sip:carol@example.org"}, t0)
	s, _ = step(s, SetDoNotDisturb{On: true}, t0)
	now := t0.Add(time.Minute)
	next, cmds := step(s, call.Incoming{ID: "x", From: "dave"}, now)
	in := Call{ID: "x", Status: RingingIn, Remote: "dave", Since: now}
	want := []Command{cmdForward{ID: "x", Target: "sip:carol@example.org"}, record(in, CallMissed, "do not disturb: forwarded", now)}
	if !reflect.DeepEqual(cmds, want) {
		t.Errorf("commands %#v, want %#v", cmds, want)
	}
	if len(next.Calls) != 0 || next.Missed != 1 || next.ForwardTo != "sip:carol@example.org" {
		t.Errorf("after the call: %d calls, %d missed, target %q", len(next.Calls), next.Missed, next.ForwardTo)
	}
	// Cleared, the next call is turned away busy.
	next, _ = step(next, SetForwardTarget{}, now)
	if _, cmds = step(next, call.Incoming{ID: "y", From: "dave"}, now); len(cmds) == 0 || cmds[0] != (cmdReject{ID: "y", Reason: call.Busy}) {
		t.Errorf("no target: commands %#v, want a busy reject first", cmds)
	}
}

// forwardingLine is a fakeLine that can forward, or fails to.
type forwardingLine struct {
	*fakeLine
	fail error
}

func (f *forwardingLine) Forward(id call.ID, target string) error {
	f.record("forward " + string(id) + " " + target)
	return f.fail
}

// TestLoopForwardFallsBackToBusy: a line that cannot forward, or fails to,
// turns the call away busy; one that can, forwards it.
func TestLoopForwardFallsBackToBusy(t *testing.T) {
	for _, tc := range []struct {
		name string
		line Telephony
		want []string
	}{
		{"forwards", &forwardingLine{fakeLine: newFakeLine()}, []string{"forward in1 sip:carol@example.org"}},
		{"fails", &forwardingLine{fakeLine: newFakeLine(), fail: errors.New("dialog gone")}, []string{"forward in1 sip:carol@example.org", "reject in1 busy"}},
		{"cannot", newFakeLine(), []string{"reject in1 busy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fl *fakeLine
			switch l := tc.line.(type) {
			case *forwardingLine:
				fl = l.fakeLine
			case *fakeLine:
				fl = l
			}
			p := New(Config{Telephony: tc.line, TickEvery: time.Hour,
				Initial: State{DoNotDisturb: true, ForwardTo: "sip:carol@example.org"}})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- p.Run(ctx) }()
			fl.events <- call.Incoming{ID: "in1", From: "dave@example.org"}
			eventually(t, "turned away", func() bool { return len(fl.log()) == len(tc.want) })
			if got := fl.log(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("line asked %q, want %q", got, tc.want)
			}
			cancel()
			<-done
		})
	}
}
