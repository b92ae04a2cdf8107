package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/media/prompts"
	"github.com/padlock-phone/padlock/phone"
)

// TestVoiceSpeaksTheSAS: the brain's SaySAS ends up in the ear as the spoken
// words, sample for sample (compared against the prompts themselves); with
// several calls, "caller number two" comes first.
func TestVoiceSpeaksTheSAS(t *testing.T) {
	for _, leg := range []int{0, 2} {
		t.Run(fmt.Sprint("leg ", leg), func(t *testing.T) { speaksTheSAS(t, leg) })
	}
}

func speaksTheSAS(t *testing.T, leg int) {
	dir := t.TempDir()
	dev, err := audio.NewFile(dir, audio.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	h := headset.New(dev, nil)
	t.Cleanup(func() { h.Close() })

	voice{H: h}.SaySAS(leg, "ybe8")
	deadline := time.Now().Add(10 * time.Second)
	for h.Busy() {
		if time.Now().After(deadline) {
			t.Fatal("the SAS was still being spoken after 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	out, rate, err := audio.ReadWAV(filepath.Join(dir, "out.wav"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := prompts.SAS("ybe8", rate)
	if err != nil {
		t.Fatal(err)
	}
	secured, _ := prompts.Phrase(prompts.CallSecured, rate)
	compare, _ := prompts.Phrase(prompts.PleaseCompare, rate)
	start := len(secured) + len(compare)
	if leg > 0 {
		caller, _ := prompts.Phrase(prompts.Caller, rate)
		two, _ := prompts.Digit(2, rate)
		for i, s := range append(caller, two...) {
			if out[i] != s {
				t.Fatalf("sample %d of \"caller number two\" differs: %d != %d", i, out[i], s)
			}
		}
		start += len(caller) + len(two)
	}
	if len(out) < start+len(want) {
		t.Fatalf("played %d samples, want at least %d", len(out), start+len(want))
	}
	for i, s := range want {
		if out[start+i] != s {
			t.Fatalf("sample %d of the SAS differs: %d != %d", i, out[start+i], s)
		}
	}
}

// TestVoiceAnnouncesTheHeldCall: the chime, then "a call is on hold",
// sample for sample.
func TestVoiceAnnouncesTheHeldCall(t *testing.T) {
	dir := t.TempDir()
	dev, err := audio.NewFile(dir, audio.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	h := headset.New(dev, nil)
	t.Cleanup(func() { h.Close() })
	voice{H: h}.Announce(phone.CallOnHold)
	for deadline := time.Now().Add(10 * time.Second); h.Busy(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("still speaking after 10 s")
		}
	}
	out, rate, err := audio.ReadWAV(filepath.Join(dir, "out.wav"))
	if err != nil {
		t.Fatal(err)
	}
	chime, phrase := prompts.Chime(rate), mustPhrase(t, prompts.CallOnHold, rate)
	if len(out) < len(chime)+len(phrase) {
		t.Fatalf("played %d samples, want %d", len(out), len(chime)+len(phrase))
	}
	for i, s := range phrase {
		if out[len(chime)+i] != s {
			t.Fatalf("sample %d of the phrase differs", i)
		}
	}
}

func mustPhrase(t *testing.T, n prompts.Name, rate int) []int16 {
	t.Helper()
	pcm, err := prompts.Phrase(n, rate)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

// TestAnnouncing: a ring period is the double ring, then who calls, then a
// pause — a known person's first name spelled, an unknown caller's number
// read out after "caller number" — sample for sample against the prompts.
func TestAnnouncing(t *testing.T) {
	for _, tc := range []struct {
		name, caller string
		want         func(rate int) []int16
	}{
		{"Alice Smith", "sip:1001@127.0.0.1", func(rate int) []int16 { return mustSpell(t, "Alice", rate) }},
		{"", "sip:1001@127.0.0.1;transport=udp", func(rate int) []int16 {
			return slices.Concat(mustPhrase(t, prompts.Caller, rate), silence(prompts.WordGap, rate), mustSpell(t, "1001", rate))
		}},
		{"", "xmpp:bob@example.org/phone", func(rate int) []int16 {
			return slices.Concat(mustPhrase(t, prompts.Caller, rate), silence(prompts.WordGap, rate), mustSpell(t, "bob", rate))
		}},
		{"  ", "tel:+4930", func(rate int) []int16 {
			return slices.Concat(mustPhrase(t, prompts.Caller, rate), silence(prompts.WordGap, rate), mustSpell(t, "4930", rate))
		}},
	} {
		for _, rate := range []int{prompts.Narrowband, prompts.Wideband} {
			got, err := announcing(tc.name, tc.caller, rate)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Concat(prompts.RingBurst(rate), silence(announceAfterRing, rate), tc.want(rate), silence(announcePause, rate))
			if !slices.Equal(got, want) {
				t.Errorf("%q from %s at %d Hz: %d samples, not the ring and the words (%d)", tc.name, tc.caller, rate, len(got), len(want))
			}
		}
	}
}

func mustSpell(t *testing.T, text string, rate int) []int16 {
	t.Helper()
	pcm, err := prompts.Spell(text, rate)
	if err != nil || len(pcm) == 0 {
		t.Fatalf("Spell(%q): %d samples, %v", text, len(pcm), err)
	}
	return pcm
}

// BenchmarkAnnouncing: composing one ring period with the caller's words,
// done once when a call starts ringing (docs/BENCHMARKS.md).
func BenchmarkAnnouncing(b *testing.B) {
	for _, bc := range []struct{ name, caller string }{
		{"Alice Smith", "sip:1001@example.org"},
		{"", "sip:+4930123456@example.org"},
	} {
		for _, rate := range []int{prompts.Narrowband, prompts.Wideband} {
			b.Run(fmt.Sprintf("%q/%d", bc.name, rate), func(b *testing.B) {
				for b.Loop() {
					if _, err := announcing(bc.name, bc.caller, rate); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
