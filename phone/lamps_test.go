package phone

import (
	"testing"

	"github.com/padlock-phone/padlock/hw"
)

func TestLampsEveryState(t *testing.T) {
	const off, on, blink, fast, slow = hw.Off, hw.On, hw.Blink, hw.FastBlink, hw.SlowBlink
	// lock, alert, status for each representative state, with nothing else going on.
	want := map[string]Lamps{
		"idle":          {off, off, off},
		"idle+last":     {off, off, off},
		"reading":       {off, off, off}, // speed dial is heard, not seen
		"dialing":       {off, off, off},
		"dialing+id":    {off, off, off},
		"ringing-in":    {off, off, fast},
		"answering":     {off, off, off},
		"ringing-out":   {off, off, off},
		"active":        {off, on, off}, // talking in clear
		"active+nego":   {off, off, off},
		"active+secure": {blink, off, off},
		"active+verify": {on, off, off},
		"active+failed": {off, on, off},
		"active+local":  {off, off, off},
		"held+secure":   {blink, off, off},
		"ended":         {off, off, off},
		"waiting":       {blink, off, fast}, // the lock of the call going on
		"held+active":   {blink, off, off},  // the weakest leg: bob not verified
		"held+ringing":  {blink, off, fast},
		"full":          {off, on, off},
		"conference":    {blink, off, off},
	}
	sts := states()
	if len(want) != len(sts) {
		t.Fatalf("lamp table covers %d states, there are %d", len(want), len(sts))
	}
	for name, st := range sts {
		if got := lamps(st); got != want[name] {
			t.Errorf("%s: got %v, want %v", name, got, want[name])
		}
	}
}

func TestLampsPriorities(t *testing.T) {
	sts := states()
	reg := map[string]bool{"alice@sip": true}
	tests := []struct {
		name string
		st   State
		lamp hw.Lamp
		want hw.Pattern
	}{
		{"registered", State{Registered: reg}, hw.Status, hw.On},
		{"registered then down", State{Registered: map[string]bool{"a": false}}, hw.Status, hw.Off},
		{"unread beats registered", State{Registered: reg, Unread: 1}, hw.Status, hw.SlowBlink},
		{"ringing beats unread", with(sts["ringing-in"], func(s *State) { s.Unread = 2; s.Registered = reg }), hw.Status, hw.FastBlink},
		{"vault locked", State{VaultLocked: true}, hw.Alert, hw.Blink},
		{"clear call beats locked vault", with(sts["active"], func(s *State) { s.VaultLocked = true }), hw.Alert, hw.On},
		{"secured call shows locked vault", with(sts["active+secure"], func(s *State) { s.VaultLocked = true }), hw.Alert, hw.Blink},
		{"key mismatch alerts", with(sts["active+secure"], func(s *State) { s.Calls[0].KeyMismatch = true }), hw.Alert, hw.On},
		{"key mismatch is never steady lock", with(sts["active+verify"], func(s *State) { s.Calls[0].KeyMismatch = true }), hw.Lock, hw.Blink},
		{"every leg verified", with(sts["held+active"], func(s *State) { s.Calls[0].Security = Verified }), hw.Lock, hw.On},
		{"one clear leg: no lock", with(sts["held+active"], func(s *State) { s.Calls[0].Security = Clear }), hw.Lock, hw.Off},
		{"one clear leg alerts", with(sts["held+active"], func(s *State) { s.Calls[0].Security = Clear }), hw.Alert, hw.On},
		{"a failed leg alerts", with(sts["held+active"], func(s *State) { s.Calls[0].Security = Failed }), hw.Alert, hw.On},
		{"a key change on a held leg", with(sts["held+active"], func(s *State) { s.Calls[0].Security = Verified; s.Calls[0].KeyMismatch = true }), hw.Lock, hw.Blink},
		{"a waiting clear call keeps the lock", with(sts["waiting"], func(s *State) { s.Calls[0].Security = Verified }), hw.Lock, hw.On},
		{"a second call dialing keeps the held lock", with(sts["held+secure"], func(s *State) {
			s.Calls[0].Security = Verified
			s.Calls = append(s.Calls, Call{Leg: 2, Status: Dialing, Remote: "carol"})
		}), hw.Lock, hw.On},
		{"failed while ringing alerts", with(sts["ringing-out"], func(s *State) { s.Calls[0].Security = Failed }), hw.Alert, hw.On},
	}
	for _, tt := range tests {
		if got := lamps(tt.st)[tt.lamp]; got != tt.want {
			t.Errorf("%s: %v = %v, want %v", tt.name, tt.lamp, got, tt.want)
		}
	}
}

func with(s State, f func(*State)) State {
	s = s.clone()
	f(&s)
	return s
}
