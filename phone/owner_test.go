package phone

import (
	"reflect"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw"
)

// TestOwnerGesture: HANGUP and SAS held together (each reporting its owner
// hold within ownerTogether of the other) clear the login throttle and say
// so, in any call state, and change nothing else; one alone, or the two far
// apart, do nothing.
func TestOwnerGesture(t *testing.T) {
	owner := func(b hw.Button) hw.Press { return hw.Press{Button: b, Long: true, Owner: true} }
	type press struct {
		after time.Duration // since the previous press
		ev    hw.Press
	}
	cleared := []Command{cmdOwnerPresent{}, cmdAnnounce{What: ThrottleCleared}}
	for _, tc := range []struct {
		name    string
		presses []press
		want    [][]Command // commands after each press
	}{
		{"hangup then sas", []press{{0, owner(hw.Hangup)}, {200 * time.Millisecond, owner(hw.SAS)}}, [][]Command{nil, cleared}},
		{"sas then hangup", []press{{0, owner(hw.SAS)}, {900 * time.Millisecond, owner(hw.Hangup)}}, [][]Command{nil, cleared}},
		{"too far apart", []press{{0, owner(hw.Hangup)}, {2 * time.Second, owner(hw.SAS)}}, [][]Command{nil, nil}},
		{"one button twice", []press{{0, owner(hw.Hangup)}, {100 * time.Millisecond, owner(hw.Hangup)}}, [][]Command{nil, nil}},
		{"answer does not count", []press{{0, owner(hw.Answer)}, {100 * time.Millisecond, owner(hw.SAS)}}, [][]Command{nil, nil}},
		{"once per hold", []press{{0, owner(hw.Hangup)}, {100 * time.Millisecond, owner(hw.SAS)}, {100 * time.Millisecond, owner(hw.SAS)}}, [][]Command{nil, cleared, nil}},
	} {
		for name, st := range states() {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				s, now := st, t0
				for i, p := range tc.presses {
					now = now.Add(p.after)
					next, cmds := step(s, p.ev, now)
					if !reflect.DeepEqual(cmds, tc.want[i]) {
						t.Fatalf("press %d (%v): commands %#v, want %#v", i, p.ev, cmds, tc.want[i])
					}
					if !reflect.DeepEqual(next.Calls, st.Calls) || lamps(next) != lamps(st) {
						t.Fatalf("press %d changed the calls or the lamps: %+v", i, next.Calls)
					}
					s = next
				}
			})
		}
	}
}
