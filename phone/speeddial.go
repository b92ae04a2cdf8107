package phone

import (
	"time"

	"github.com/padlock-phone/padlock/hw"
)

// Favourite is one speed-dial entry: its position in the phonebook's
// favourites, the person's name and the number or address to call.
type Favourite struct {
	Position int
	Name     string
	Target   string
}

// Favourites is fed to the brain once Config.Favourites has read the
// list a long press of ANSWER asked for.
type Favourites struct{ List []Favourite }

// FavouriteSlot is how long each favourite is offered before the next one
// is read: long enough for "one" and a spelled first name, and for the
// person to press ANSWER after it.
const FavouriteSlot = 5 * time.Second

// SpeedDial is the favourites being read out, one by one, with no call:
// ANSWER calls the one just read, HANGUP stops. The zero value is "not
// reading".
type SpeedDial struct {
	List  []Favourite // never changed in place
	At    int         // the one read last
	Since time.Time   // when it was read
}

// Reading reports whether the favourites are being read.
func (d SpeedDial) Reading() bool { return len(d.List) > 0 }

type (
	// cmdReadFavourites asks Config.Favourites for the list (fed back as
	// Favourites).
	cmdReadFavourites struct{}
	// cmdSayFavourite reads one favourite: "one", then who.
	cmdSayFavourite struct{ Favourite Favourite }
)

// speedDial handles what a press or tick means while the favourites are
// read; ok is false when ev is not about them.
func speedDial(s State, ev Event, now time.Time) (next State, cmds []Command, ok bool) {
	d := s.SpeedDial
	switch ev := ev.(type) {
	case Favourites:
		if s.count(anyCall) > 0 || s.VaultLocked || d.Reading() {
			return s, nil, true
		}
		if len(ev.List) == 0 {
			return s, []Command{cmdAnnounce{What: NoFavourites}}, true
		}
		s.SpeedDial = SpeedDial{List: ev.List, Since: now}
		return s, []Command{cmdSayFavourite{Favourite: ev.List[0]}}, true
	}
	if !d.Reading() {
		return s, nil, false
	}
	switch ev := ev.(type) {
	case Tick:
		if now.Sub(d.Since) < FavouriteSlot {
			return s, nil, false // the rest of Tick still runs
		}
		if d.At+1 >= len(d.List) {
			s.SpeedDial = SpeedDial{}
			return s, nil, false
		}
		s.SpeedDial.At, s.SpeedDial.Since = d.At+1, now
		return s, []Command{cmdSayFavourite{Favourite: d.List[d.At+1]}}, false
	case hw.Press:
		if ev.Owner {
			return s, nil, false
		}
		switch ev.Button {
		case hw.Answer:
			s.SpeedDial = SpeedDial{}
			next, cmds := apply(s, Dial{Target: d.List[d.At].Target}, now)
			return next, cmds, true
		case hw.Hangup:
			s.SpeedDial = SpeedDial{}
			return s, nil, true
		}
	}
	return s, nil, false
}
