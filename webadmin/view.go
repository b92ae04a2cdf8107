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
	Calls       []callView        `json:"calls"`    // every call, oldest first
	CanMerge    bool              `json:"canMerge"` // two or more connected calls, not all in one conference
}

func (s *Server) view() view {
	st := s.cfg.Phone.State()
	c := st.Current()
	v := view{
		Status: c.Status, Remote: c.Remote, Outgoing: c.Outgoing, Security: c.Security,
		SAS: c.SAS, KeyMismatch: c.KeyMismatch, Reason: c.Reason,
		LastDialed: st.LastDialed, Missed: st.Missed, Unread: st.Unread,
		VaultLocked: st.VaultLocked, DND: st.DoNotDisturb, Accounts: st.Registered, Lamps: map[string]string{},
	}
	if c.Remote != "" {
		// Looked up here, not in the brain: names are sealed personal data
		// the brain has no business holding.
		v.RemoteName = phonebook.Book{St: s.cfg.Store}.Lookup(context.Background(), c.Remote)
	}
	if !c.Connected.IsZero() && (c.Status == phone.Active || c.Status == phone.Held) {
		v.Seconds = int(time.Since(c.Connected) / time.Second)
	}
	v.Calls, v.CanMerge = callViews(st)
	lamps := s.cfg.Phone.Lamps()
	for _, l := range hw.Lamps {
		p := lamps[l]
		if s.cfg.Panel != nil {
			p = s.cfg.Panel.Lamp(l) // what the (simulated) pins really show
		}
		v.Lamps[l.String()] = p.String()
	}
	return v
}
