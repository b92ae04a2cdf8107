package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/media/audio"
)

// TestOpusCallWithLinphone: linphonec with Opus first (its default) and
// ZRTP mandatory, through kamailio; a call each way is secured, negotiates
// Opus on both sides, and carries each side's tone (Padlock 700 Hz,
// linphonec 440 Hz), found by content.
func TestOpusCallWithLinphone(t *testing.T) {
	d := newClearDesk(t, clearOpts{codecs: []string{"opus/48000/2", "PCMU/8000"}})
	a, bob := d.a, d.bob
	writeTone(t, filepath.Join(d.ear, "in.wav"), 700, 30)
	writeTone(t, filepath.Join(bob.Dir, "bob.wav"), 440, 30)
	for i, incoming := range []bool{true, false} {
		name := "Padlock calls"
		if incoming {
			name = "linphonec calls"
		}
		t.Run(name, func(t *testing.T) {
			logMark := len(a.logs.String())
			atBob, atPadlock := levelCall(t, d, incoming, name, i == 0)
			t.Logf("Padlock's 700 Hz at linphonec: %.3f; linphonec's 440 Hz in Padlock's headset: %.3f", atBob, atPadlock)
			if atBob < minToneLevel || atPadlock < minToneLevel {
				t.Errorf("tones: %.3f at linphonec, %.3f at Padlock, want both >= %.2f", atBob, atPadlock, minToneLevel)
			}
			if log := a.logs.String()[logMark:]; !strings.Contains(log, "codec=opus") {
				t.Errorf("Padlock's log does not show Opus in use:\n%s", log)
			}
			// linphonec's recorder runs at its decoder's rate (8000 Hz on
			// PCMU calls, 16000 on G.722 ones): 48000 is Opus.
			if _, rate, err := audio.ReadWAV(filepath.Join(bob.Dir, "heard-"+name+".wav")); err != nil || rate != 48000 {
				t.Errorf("linphonec recorded at %d Hz (%v), want 48000 (Opus)", rate, err)
			}
		})
	}
}
