package phone

import (
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
