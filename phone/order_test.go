package phone

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/padlock-phone/padlock/call"
)

// TestDoorsCommute backs the claim in docs/ARCHITECTURE.md: a signalling
// event (Telephony.Events) and a security event (Post, from the media) of
// the same call give the same state and the same commands whichever door
// the loop reads first — except Ended, after which security reports are
// rightly ignored (and Ended first or second leaves the call ended).
func TestDoorsCommute(t *testing.T) {
	signalling := map[string]call.Event{
		"ringing":  call.Ringing{ID: cur},
		"answered": call.Answered{ID: cur},
		"held":     call.Held{ID: cur, On: true},
	}
	security := map[string]call.Event{
		"negotiating": call.SecurityNegotiating{ID: cur},
		"secured":     call.Secured{ID: cur, SAS: "ybe8"},
		"verified":    call.Secured{ID: cur, SAS: "ybe8", Verified: true},
		"failed":      call.SecurityFailed{ID: cur, Reason: "no ZRTP answer"},
		"mismatch":    call.KeyMismatch{ID: cur},
	}
	apply := func(s State, evs ...Event) (State, []string) {
		var cmds []string
		for _, ev := range evs {
			var cs []Command
			s, cs = step(s, ev, t0)
			for _, c := range cs {
				cmds = append(cmds, fmt.Sprintf("%T%+v", c, c))
			}
		}
		return s, cmds
	}
	for sname, s0 := range states() {
		if !slices.ContainsFunc(s0.Calls, func(c Call) bool { return c.ID == cur && c.busy() }) {
			continue
		}
		for gname, g := range signalling {
			for kname, k := range security {
				s1, c1 := apply(s0, g, k)
				s2, c2 := apply(s0, k, g)
				if !reflect.DeepEqual(s1, s2) {
					t.Errorf("%s: %s then %s gives\n%+v\nbut %s then %s gives\n%+v", sname, gname, kname, s1.Calls, kname, gname, s2.Calls)
				}
				// The ring and the spoken prompts are separate channels of
				// the headset, so only the set of commands must agree.
				slices.Sort(c1)
				slices.Sort(c2)
				if !reflect.DeepEqual(c1, c2) {
					t.Errorf("%s: commands differ with the order of %s and %s: %v vs %v", sname, gname, kname, c1, c2)
				}
			}
		}
	}
}
