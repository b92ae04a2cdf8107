package main

import (
	"log/slog"

	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/media/prompts"
	"github.com/padlock-phone/padlock/phone"
)

// voice is the phone's voice in the headset: the ring tone and the spoken
// SAS and warnings (media/prompts). It is the adapter from the brain's
// phone.Voice to the headset, so media never imports the brain.
type voice struct {
	H   *headset.Headset
	Log *slog.Logger
}

var _ phone.Voice = voice{}

// Ring implements phone.Voice.
func (v voice) Ring(on bool) {
	if on {
		v.H.Ring(prompts.Ring)
		return
	}
	v.H.Ring(nil)
}

// Waiting implements phone.Voice: the call-waiting beep, looped over the
// call going on (it takes the ring tone's place; the brain never asks for
// both).
func (v voice) Waiting(on bool) {
	if on {
		v.H.Ring(prompts.Waiting)
		return
	}
	v.H.Ring(nil)
}

// SaySAS implements phone.Voice: with several calls "caller number N"
// first, then "call secured, please compare" and the SAS word by word.
// The SAS itself is never logged.
func (v voice) SaySAS(leg int, sas string) {
	if leg > 0 {
		v.H.Play(v.phrase(prompts.Caller))
		v.H.Play(func(rate int) []int16 {
			pcm, err := prompts.Digit(leg%10, rate)
			if err != nil {
				v.log().Error("call number cannot be spoken", "err", err)
			}
			return pcm
		})
	}
	v.H.Play(v.phrase(prompts.CallSecured))
	v.H.Play(v.phrase(prompts.PleaseCompare))
	v.H.Play(func(rate int) []int16 {
		pcm, err := prompts.SAS(sas, rate)
		if err != nil {
			v.log().Error("SAS cannot be spoken", "err", err)
			return prompts.Failure(rate)
		}
		return pcm
	})
}

// Announce implements phone.Voice.
func (v voice) Announce(a phone.Announcement) {
	switch a {
	case phone.SASConfirmed:
		v.H.Play(prompts.Chime)
		v.H.Play(v.phrase(prompts.SASConfirmed))
	case phone.EncryptionFailed:
		v.H.Play(prompts.Failure)
		v.H.Play(v.phrase(prompts.EncryptionFailed))
		v.H.Play(v.phrase(prompts.NotEncrypted))
	case phone.KeyChanged:
		v.H.Play(prompts.Failure)
		v.H.Play(v.phrase(prompts.KeyChanged))
	case phone.ThrottleCleared:
		// HANGUP + SAS held together cleared the login throttle (issue
		// 12). No spoken phrase exists for it yet, so it is the
		// confirmation chime three times, which nothing else plays.
		for range 3 {
			v.H.Play(prompts.Chime)
		}
	case phone.Transferring:
		v.H.Play(prompts.Chime)
		v.H.Play(v.phrase(prompts.Transferring))
	case phone.TransferFailed:
		v.H.Play(prompts.Failure)
	case phone.CallOnHold:
		v.H.Play(prompts.Chime)
		v.H.Play(v.phrase(prompts.CallOnHold))
	case phone.NotEndToEnd:
		v.H.Play(v.phrase(prompts.NotEndToEnd))
	case phone.NotVerifiable:
		v.H.Play(v.phrase(prompts.NotVerifiable))
	}
}

func (v voice) phrase(n prompts.Name) headset.Sound {
	return func(rate int) []int16 {
		pcm, err := prompts.Phrase(n, rate)
		if err != nil {
			v.log().Error("prompt missing", "prompt", n, "err", err)
		}
		return pcm
	}
}

func (v voice) log() *slog.Logger {
	if v.Log == nil {
		return slog.Default()
	}
	return v.Log
}
