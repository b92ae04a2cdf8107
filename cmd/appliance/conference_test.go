package main

import (
	"testing"

	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/media/mix"
	"github.com/padlock-phone/padlock/phone"
)

// fakeEar is the headset: what is attached now, and how often.
type fakeEar struct {
	on      headset.CallAudio
	attachs int
}

func (e *fakeEar) Attach(c headset.CallAudio) func() {
	e.on, e.attachs = c, e.attachs+1
	return func() {
		if e.on == c {
			e.on = nil
		}
	}
}

// constLeg is a call's audio that says one value and keeps the last frame
// it was sent.
type constLeg struct {
	rate int
	say  int16
	got  []int16
}

func (l *constLeg) Rate() int { return l.rate }
func (l *constLeg) ReadFrame(dst []int16) []int16 {
	for range audio.FrameLen(l.rate) {
		dst = append(dst, l.say)
	}
	return dst
}
func (l *constLeg) WriteFrame(pcm []int16) error { l.got = append(l.got[:0], pcm...); return nil }

// TestConferenceRoutesAudio: calls go to the headset one at a time as
// before; the brain's conference puts its legs through the mixer (and the
// mixer on the headset, attached again when the rate changes); a leg left
// out is neither heard nor fed; when the conference ends the call that is
// left is on the headset again.
func TestConferenceRoutesAudio(t *testing.T) {
	ear := &fakeEar{}
	c := newConference(ear, nil)
	bob, carol := &constLeg{rate: 8000, say: 100}, &constLeg{rate: 8000, say: 20}
	detachBob := c.AttachLeg("bob", bob)
	if ear.on != headset.CallAudio(bob) {
		t.Fatalf("one call: the headset has %v", ear.on)
	}
	detachCarol := c.AttachLeg("carol", carol) // resumed for the merge
	if ear.on != headset.CallAudio(carol) {
		t.Fatal("the call that came off hold last is not on the headset")
	}
	c.Mix([]phone.ConferenceLeg{{ID: "bob", Mixed: true}, {ID: "carol", Mixed: true}})
	m, ok := ear.on.(*mix.Mixer)
	if !ok || len(m.Legs()) != 2 {
		t.Fatalf("conference: the headset has %T %v", ear.on, ear.on)
	}
	mic := make([]int16, audio.FrameLen(m.Rate()))
	for i := range mic {
		mic[i] = 3
	}
	m.WriteFrame(mic)
	if heard := m.ReadFrame(nil); heard[0] != 120 || bob.got[0] != 23 || carol.got[0] != 103 {
		t.Fatalf("mix: heard %d, bob got %d, carol got %d", heard[0], bob.got[0], carol.got[0])
	}

	c.Mix([]phone.ConferenceLeg{{ID: "bob", Mixed: true}, {ID: "carol", Mixed: false}})
	m.WriteFrame(mic)
	if heard := m.ReadFrame(nil); heard[0] != 100 || bob.got[0] != 3 || carol.got[0] != 0 {
		t.Fatalf("carol left out: heard %d, bob got %d, carol got %d", heard[0], bob.got[0], carol.got[0])
	}

	// A wideband leg: the mixer goes to 16 kHz and is attached again, so
	// the headset reopens at that rate.
	n := ear.attachs
	dave := &constLeg{rate: 16000}
	detachDave := c.AttachLeg("dave", dave)
	c.Mix([]phone.ConferenceLeg{{ID: "bob", Mixed: true}, {ID: "carol", Mixed: true}, {ID: "dave", Mixed: true}})
	if m.Rate() != 16000 || ear.attachs != n+1 || ear.on != headset.CallAudio(m) {
		t.Fatalf("wideband leg: rate %d, attached %d times more", m.Rate(), ear.attachs-n)
	}
	detachDave()
	if len(m.Legs()) != 2 || m.Rate() != 8000 {
		t.Fatalf("dave hung up: legs %v at %d Hz", m.Legs(), m.Rate())
	}

	// Bob hangs up: the brain ends the conference, carol is on the headset.
	detachBob()
	c.Mix(nil)
	if ear.on != headset.CallAudio(carol) || len(m.Legs()) != 0 {
		t.Fatalf("after the conference: headset has %T, mixer %v", ear.on, m.Legs())
	}
	detachCarol()
	if ear.on != nil {
		t.Fatal("no call left, the headset still has one")
	}
}
