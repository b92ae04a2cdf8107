package main

import (
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/media/prompts"
	"github.com/padlock-phone/padlock/phone"
)

// ownerVoice is the phone's voice with one more announcement: the login
// throttle cleared by HANGUP + SAS held together (issue 12). There is no
// spoken phrase for it among the prompts yet, so it is the confirmation
// chime three times, which nothing else plays.
type ownerVoice struct{ headset.Voice }

func (v ownerVoice) Announce(a phone.Announcement) {
	if a == phone.ThrottleCleared {
		for range 3 {
			v.H.Play(prompts.Chime)
		}
		return
	}
	v.Voice.Announce(a)
}
