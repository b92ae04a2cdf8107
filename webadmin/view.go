package webadmin

import (
	"context"
	"time"

	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/store/phonebook"
)

// view is the JSON (and template) form of what the page shows.
type view struct {
	Status      phone.Status      `json:"status"`
	Remote      string            `json:"remote"`
	RemoteName  string            `json:"remoteName"` // from the phonebook, "" when not in it
	Outgoing    bool              `json:"outgoing"`
	Security    phone.Security    `json:"security"`
	SAS         string            `json:"sas"`
	KeyMismatch bool              `json:"keyMismatch"`
	Reason      string            `json:"reason"`
	Seconds     int               `json:"seconds"` // talking time so far
	LastDialed  string            `json:"lastDialed"`
	Missed      int               `json:"missed"`
	Unread      int               `json:"unread"`
	VaultLocked bool              `json:"vaultLocked"`
	DND         bool              `json:"doNotDisturb"`
	Accounts    map[string]bool   `json:"accounts"`
	Lamps       map[string]string `json:"lamps"`
	Calls       []callView        `json:"calls"`     // every call, oldest first
	CanMerge    bool              `json:"canMerge"`  // two or more connected calls, not all in one conference
	Controls    []callAction      `json:"controls"`  // the soft keys that apply to the current call (softkeys.go)
	CanDial     bool              `json:"canDial"`   // the dial field applies now
	Keypad      bool              `json:"keypad"`    // the DTMF keys apply now
	Explained   string            `json:"explained"` // the security state in a sentence (words.go)
	LampWords   map[string]string `json:"lampWords"` // each lamp's pattern in words
	LastCall    string            `json:"lastCall"`  // on an idle phone: who the last call was with (Reason says why it ended)
	// DTLS: the current call is DTLS-SRTP ("encrypted, not verifiable"):
	// both sides' fingerprints, which only the XMPP server vouched for.
	DTLS *dtlsView `json:"dtls,omitempty"`
}

// dtlsView is the pair of DTLS fingerprints (sha-256) of a call.
type dtlsView struct {
	Local string `json:"local"`
	Peer  string `json:"peer"`
}

func (s *Server) view() view {
	st := s.cfg.Phone.State()
	c := st.Current()
	v := view{
		Status: c.Status, Remote: c.Remote, Outgoing: c.Outgoing, Security: c.Security,
		SAS: c.SAS, KeyMismatch: c.KeyMismatch, Reason: c.Reason,
		LastDialed: st.LastDialed, Missed: st.Missed, Unread: st.Unread,
		VaultLocked: st.VaultLocked, DND: st.DoNotDisturb, Accounts: st.Registered, Lamps: map[string]string{}, LampWords: map[string]string{},
	}
	if c.Remote != "" {
		// Looked up here, not in the brain: names are sealed personal data
		// the brain has no business holding.
		v.RemoteName = phonebook.Book{St: s.cfg.Store}.Lookup(context.Background(), c.Remote)
	}
	if !c.Connected.IsZero() && (c.Status == phone.Active || c.Status == phone.Held) {
		v.Seconds = int(time.Since(c.Connected) / time.Second)
	}
	if d := c.DTLS; d.PeerFingerprint != "" && c.Status != phone.Ended {
		v.DTLS = &dtlsView{Local: d.LocalFingerprint, Peer: d.PeerFingerprint}
	}
	v.Calls, v.CanMerge = callViews(st)
	v.Controls, v.CanDial, v.Keypad = softKeys(c), canDial(c), keypadApplies(c)
	if c.Status == phone.Idle && st.LastEnded.Reason != "" {
		// Why the last call ended stays on the display until another call
		// takes its place: a failed call's reason is what the person needs.
		v.Reason, v.LastCall = st.LastEnded.Reason, st.LastEnded.Remote
	}
	lamps := s.cfg.Phone.Lamps()
	for _, l := range hw.Lamps {
		p := lamps[l]
		if s.cfg.Panel != nil {
			p = s.cfg.Panel.Lamp(l) // what the (simulated) pins really show
		}
		v.Lamps[l.String()] = p.String()
		v.LampWords[l.String()] = lampText(l.String(), p.String())
	}
	v.Explained = securityWords(c.Security, c.Status != phone.Idle && c.Status != phone.Ended)
	return v
}
