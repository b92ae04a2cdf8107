package main

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/media/prompts"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/protocols/jingleline"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/phonebook"
)

// voice is the phone's voice in the headset: the ring tone and the spoken
// SAS and warnings (media/prompts). It is the adapter from the brain's
// phone.Voice to the headset, so media never imports the brain.
type voice struct {
	H   *headset.Headset
	Log *slog.Logger
	// Name finds the person behind a caller's address (callerName: the
	// phonebook, then the XMPP contacts); nil or "": nobody known.
	Name func(remote string) string
}

var _ phone.Voice = voice{}

// Ring implements phone.Voice: the ring tone, and with a caller the
// caller announced in the pause after each double ring.
func (v voice) Ring(on bool, caller string) {
	switch {
	case !on:
		v.H.Ring(nil)
	case caller == "":
		v.H.Ring(prompts.Ring)
	default:
		name := ""
		if v.Name != nil {
			name = v.Name(caller)
		}
		v.H.Ring(func(rate int) []int16 {
			pcm, err := announcing(name, caller, rate)
			if err != nil {
				v.log().Error("caller cannot be announced", "err", err)
				return prompts.Ring(rate)
			}
			return pcm
		})
	}
}

// Where the caller's words sit in a ring period.
const (
	announceAfterRing = 400 * time.Millisecond  // from the end of the double ring to the first word
	announcePause     = 1600 * time.Millisecond // from the last word to the next ring
)

// announcing is one period of the ring of a call from caller (its Remote)
// whose known name is name (or ""): the double ring, then who it is, then
// a pause. Speech is composed from the embedded prompts, so it costs the
// image nothing and starts with the first ring: a known person's first
// name spelled with ICAO words ("alfa lima india charlie echo" — the
// words a person expects from a phone that reads a SAS the same way),
// else "caller number" and the number (the address's user part) read
// digit by digit, letters spelled.
func announcing(name, caller string, rate int) ([]int16, error) {
	var words []int16
	var err error
	if first, _, _ := strings.Cut(strings.TrimSpace(name), " "); len(prompts.SpellWords(first)) > 0 {
		words, err = prompts.Spell(first, rate)
	} else {
		var intro, number []int16
		if intro, err = prompts.Phrase(prompts.Caller, rate); err == nil {
			number, err = prompts.Spell(callerNumber(caller), rate)
		}
		words = slices.Concat(intro, silence(prompts.WordGap, rate), number)
	}
	if err != nil {
		return nil, err
	}
	return slices.Concat(prompts.RingBurst(rate), silence(announceAfterRing, rate), words, silence(announcePause, rate)), nil
}

// callerNumber is the part of a caller's address a person reads out: the
// user part of "sip:1001@example.org;transport=udp" (1001), without the
// scheme, host and parameters.
func callerNumber(remote string) string {
	s := remote
	if i := strings.IndexByte(s, ':'); i >= 0 && !strings.ContainsAny(s[:i], "@.") {
		s = s[i+1:]
	}
	if user, _, ok := strings.Cut(s, "@"); ok {
		s = user
	}
	s, _, _ = strings.Cut(s, ";")
	return s
}

func silence(d time.Duration, rate int) []int16 {
	return make([]int16, int(d.Seconds()*float64(rate)))
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
	case phone.DoNotDisturbOn:
		// No phrase for it yet: one chime on, two off; STATUS shows it.
		v.H.Play(prompts.Chime)
	case phone.DoNotDisturbOff:
		v.H.Play(prompts.Chime)
		v.H.Play(prompts.Chime)
	case phone.NoFavourites:
		v.H.Play(prompts.Failure) // no phrase for it yet: the "did not go through" tone
	}
}

// SayFavourite implements phone.Voice: speed dial reads "one" (the
// position, its last digit past nine) and the first name spelled with
// ICAO words, as the caller is announced.
func (v voice) SayFavourite(f phone.Favourite) {
	v.H.Play(func(rate int) []int16 {
		pos, err := prompts.Digit(f.Position%10, rate)
		if err != nil {
			v.log().Error("favourite cannot be read", "err", err)
			return nil
		}
		first, _, _ := strings.Cut(strings.TrimSpace(f.Name), " ")
		name, err := prompts.Spell(first, rate)
		if err != nil {
			v.log().Error("favourite cannot be read", "err", err)
		}
		return slices.Concat(pos, silence(favouriteGap, rate), name)
	})
}

// favouriteGap is the pause between a favourite's position and its name.
const favouriteGap = 400 * time.Millisecond

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

// callerName is voice.Name on the store: the phonebook's name for the
// address, else the display name an XMPP contact has on any account (a
// Jingle caller is "xmpp:bare@jid/resource"). It runs on the brain's loop
// when a call starts ringing, so it gives up after a short while: the
// caller is then announced by address.
func callerName(st *store.Store) func(remote string) string {
	return func(remote string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if name := (phonebook.Book{St: st}).Lookup(ctx, remote); name != "" {
			return name
		}
		jid, _, _ := strings.Cut(strings.TrimPrefix(remote, jingleline.Prefix), "/")
		accts, err := st.Accounts(ctx)
		if err != nil {
			return ""
		}
		for _, a := range accts {
			cs, err := st.Contacts(ctx, a.ID)
			if err != nil {
				continue
			}
			for _, c := range cs {
				if c.DisplayName != "" && strings.EqualFold(c.Address, jid) {
					return c.DisplayName
				}
			}
		}
		return ""
	}
}

// favourites is phone.Config.Favourites on the store: the phonebook's
// favourites in position order, each with its first number or address.
// It runs on the brain's loop, so it gives up after a short while.
func favourites(st *store.Store, log *slog.Logger) func() []phone.Favourite {
	return func() []phone.Favourite {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		es, err := phonebook.Book{St: st}.Favourites(ctx)
		if err != nil {
			log.Warn("speed dial: favourites not read", "err", err)
			return nil
		}
		var list []phone.Favourite
		for _, e := range es {
			if len(e.Addresses) > 0 {
				list = append(list, phone.Favourite{Position: e.Favourite, Name: e.Name, Target: e.Addresses[0]})
			}
		}
		return list
	}
}
