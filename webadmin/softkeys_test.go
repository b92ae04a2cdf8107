package webadmin

import (
	"slices"
	"testing"

	"github.com/padlock-phone/padlock/phone"
)

// TestSoftKeysFollowTheCall: each call state offers only the keys the
// brain acts on in that state.
func TestSoftKeysFollowTheCall(t *testing.T) {
	for _, tc := range []struct {
		name        string
		call        phone.Call
		keys        []string
		dial, tones bool
	}{
		{"idle", phone.Call{}, nil, true, false},
		{"ended", phone.Call{Status: phone.Ended, Reason: "you hung up"}, nil, true, false},
		{"ringing", phone.Call{Status: phone.RingingIn}, []string{"answer", "hangup"}, false, false},
		{"answering", phone.Call{Status: phone.RingingIn, Answering: true}, []string{"hangup"}, false, false},
		{"dialing", phone.Call{Status: phone.Dialing}, []string{"hangup"}, false, false},
		{"ringing out", phone.Call{Status: phone.RingingOut}, []string{"hangup"}, false, false},
		{"active, local", phone.Call{Status: phone.Active, Security: phone.Local}, []string{"hold", "hangup"}, false, true},
		{"active, negotiating", phone.Call{Status: phone.Active, Security: phone.Negotiating}, []string{"hold", "hangup"}, false, true},
		{"active, secured", phone.Call{Status: phone.Active, Security: phone.Secured}, []string{"hold", "confirm", "repeat-sas", "hangup"}, false, true},
		{"active, verified", phone.Call{Status: phone.Active, Security: phone.Verified}, []string{"hold", "unconfirm", "repeat-sas", "hangup"}, false, true},
		{"held", phone.Call{Status: phone.Held, Security: phone.Local}, []string{"resume", "hangup"}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, k := range softKeys(tc.call) {
				if k.Label == "" {
					t.Errorf("key %s has no words", k.Path)
				}
				got = append(got, k.Path)
			}
			if !slices.Equal(got, tc.keys) {
				t.Errorf("keys %v, want %v", got, tc.keys)
			}
			if d := canDial(tc.call); d != tc.dial {
				t.Errorf("dial field shown %v, want %v", d, tc.dial)
			}
			if k := keypadApplies(tc.call); k != tc.tones {
				t.Errorf("keypad shown %v, want %v", k, tc.tones)
			}
		})
	}
}
