package webadmin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/store"
)

// settingRow is one privacy switch on the settings page.
type settingRow struct {
	Name  store.Setting
	Label string
	Help  string
	On    bool
}

// privacySettings are the switches of the settings page, in order. The
// keep-unlocked choice lives on the security page, behind its warning.
var privacySettings = []struct {
	name        store.Setting
	label, help string
}{
	{store.LogChatHistory, "Log chat history", "Keep messages (sealed with the master password) to read later."},
	{store.LogCallHistory, "Log call history", "Keep a list of calls: who, when, how long (sealed)."},
	{store.PacketLogging, "Packet logging", "Write protocol traffic to a log for debugging. Keys and passwords are redacted even then. Off unless you are hunting a bug."},
	{store.RequirePrivateMessaging, "Require private messaging", "Never send a chat message in clear: start OTR by itself and hold messages until it is up."},
	{store.RequireEndToEndCalls, "Require end-to-end encryption (ZRTP)", "No audio until ZRTP secures the call between the two phones. A call whose ZRTP fails is announced and the ALERT lamp lights; no audio plays until you decide."},
	{store.RequireEncryptedCalls, "Require encryption (SDES over TLS accepted)", "Never play a call in clear. With end-to-end off, a call encrypted with keys sent over SIP-TLS (SDES) is accepted: encrypted, but the servers on the way could listen."},
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) {
	rows, err := s.settingRows(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	accs, err := s.cfg.Store.Accounts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings", page{Title: "Privacy settings", Data: struct {
		Settings []settingRow
		Accounts []store.Account
	}{rows, accs}})
}

func (s *Server) settingRows(r *http.Request) ([]settingRow, error) {
	var rows []settingRow
	for _, p := range privacySettings {
		on, err := s.cfg.Store.Bool(r.Context(), p.name)
		if err != nil {
			return nil, err
		}
		rows = append(rows, settingRow{p.name, p.label, p.help, on})
	}
	return rows, nil
}

// settingsSave writes every switch of the form at once (an unticked box
// is absent from the form, so absent means off). A change that lowers
// protection needs the master password again (issue 12): a borrowed session
// alone must not be able to turn on packet logging or turn off encryption.
func (s *Server) settingsSave(w http.ResponseWriter, r *http.Request) {
	for k := range r.PostForm {
		if k != "csrf" && k != "password" && !isPrivacySetting(k) {
			http.Error(w, fmt.Sprintf("unknown setting %q", k), http.StatusBadRequest)
			return
		}
	}
	want := map[store.Setting]bool{}
	var lowers []string
	for _, p := range privacySettings {
		on := r.PostForm.Get(string(p.name)) == "on"
		want[p.name] = on
		was, err := s.cfg.Store.Bool(r.Context(), p.name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if lowersProtection(p.name, was, on) {
			lowers = append(lowers, p.label)
		}
	}
	if len(lowers) > 0 && !s.reauthenticated(w, r, "settings", func() (page, error) {
		rows, err := s.settingRows(r)
		if err != nil {
			return page{}, err
		}
		accs, err := s.cfg.Store.Accounts(r.Context())
		return page{Title: "Privacy settings", Data: struct {
			Settings []settingRow
			Accounts []store.Account
		}{rows, accs}}, err
	}, "Turning down "+strings.Join(lowers, ", ")) {
		return
	}
	if err := s.cfg.Store.SetBools(r.Context(), want); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Info("settings saved", "lowered", lowers)
	seeOther(w, r, "/settings", "Settings saved.")
}

// lowersProtection says whether changing setting from was to on gives
// something away.
func lowersProtection(setting store.Setting, was, on bool) bool {
	switch setting {
	case store.PacketLogging:
		return !was && on
	case store.RequirePrivateMessaging, store.RequireEncryptedCalls, store.RequireEndToEndCalls:
		return was && !on
	}
	return false
}

// reauthenticated checks the master password in the form's "password"
// field (under the throttle and the KDF gate). If it is missing or wrong it
// renders the page again, built by again, with what went wrong, and
// reports false.
func (s *Server) reauthenticated(w http.ResponseWriter, r *http.Request, name string, again func() (page, error), what string) bool {
	return s.reauthenticatedWith(w, r, "password", name, again, what)
}

// reauthenticatedWith is reauthenticated with the master password in the
// form field named field (the account form's "password" is the account's).
func (s *Server) reauthenticatedWith(w http.ResponseWriter, r *http.Request, field, name string, again func() (page, error), what string) bool {
	pw := r.PostFormValue(field)
	var msg string
	status := http.StatusUnauthorized
	if pw == "" || len(pw) > maxPasswordLen {
		msg = what + " lowers the phone's protection: enter the master password to confirm. Nothing was changed."
	} else {
		wait, err := s.tryPassword(r, func() error { return s.cfg.Keyring.CheckPassword([]byte(pw)) })
		switch {
		case err == nil:
			return true
		case wait > 0:
			status, msg = http.StatusTooManyRequests, slowDownMessage(w, wait, err)+" Nothing was changed."
		case errors.Is(err, keyring.ErrWrongPassword):
			msg = "The master password is wrong; nothing was changed."
		default:
			s.fail(w, r, err)
			return false
		}
	}
	p, err := again()
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	p.Error = msg
	s.render(w, r, status, name, p)
	return false
}

func isPrivacySetting(k string) bool {
	for _, p := range privacySettings {
		if string(p.name) == k {
			return true
		}
	}
	return false
}

// historyPurge deletes all history, or one contact's on one account.
func (s *Server) historyPurge(w http.ResponseWriter, r *http.Request) {
	contact := strings.TrimSpace(r.PostFormValue("contact"))
	var n int64
	var err error
	if contact == "" {
		if r.PostFormValue("all") != "yes" {
			http.Error(w, "enter a contact, or confirm that all history goes", http.StatusBadRequest)
			return
		}
		if !s.confirmed(w, r, confirmation{Title: "Purge all history?", Back: "/settings", Button: "Purge all history",
			What: "Every call and message in the history, on every account, is deleted."}) {
			return
		}
		n, err = s.cfg.Store.PurgeHistory(r.Context())
	} else {
		id, perr := strconv.ParseInt(r.PostFormValue("account"), 10, 64)
		if perr != nil {
			http.Error(w, "choose the account the contact belongs to", http.StatusBadRequest)
			return
		}
		if !s.confirmed(w, r, confirmation{Title: "Purge this contact's history?", Back: "/settings", Button: "Purge " + contact + "'s history",
			What: "Every call and message with " + contact + " on this account is deleted from the history."}) {
			return
		}
		n, err = s.cfg.Store.PurgeContactHistory(r.Context(), id, contact)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.cfg.Messaging != nil {
		s.cfg.Messaging.Forget(contact) // the lines held in memory go too
	}
	seeOther(w, r, "/settings", "History purged: "+count(int(n), "entry", "entries")+" deleted.")
}

func (s *Server) securityPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "security", page{Title: "Master password", Data: s.cfg.Keyring.KeepUnlocked()})
}

// changePassword rewraps the data key under a new master password, after
// the current one was entered again. Every session ends: the person logs
// in with the new one.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	cur, pw, confirm := r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("confirm")
	if err := checkNewPassword(pw, confirm); err != nil {
		s.render(w, r, http.StatusBadRequest, "security", page{Title: "Master password", Data: s.cfg.Keyring.KeepUnlocked(), Error: err.Error()})
		return
	}
	if len(cur) > maxPasswordLen {
		cur = ""
	}
	wait, err := s.tryPassword(r, func() error { return s.cfg.Keyring.ChangePassword([]byte(cur), []byte(pw)) })
	switch {
	case wait > 0:
		s.render(w, r, http.StatusTooManyRequests, "security", page{Title: "Master password", Data: s.cfg.Keyring.KeepUnlocked(),
			Error: slowDownMessage(w, wait, err)})
		return
	case errors.Is(err, keyring.ErrWrongPassword):
		s.render(w, r, http.StatusUnauthorized, "security", page{Title: "Master password", Data: s.cfg.Keyring.KeepUnlocked(),
			Error: "The current master password is wrong; nothing was changed."})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Info("master password changed")
	s.sessions.destroyAll()
	s.sessions.destroy(w, r)
	http.Redirect(w, r, "/login?ok=password-changed", http.StatusSeeOther)
}

func (s *Server) keepUnlocked(w http.ResponseWriter, r *http.Request) {
	on := r.PostFormValue("keep") == "on"
	if on && r.PostFormValue("understood") != "yes" {
		s.render(w, r, http.StatusBadRequest, "security", page{Title: "Master password", Data: s.cfg.Keyring.KeepUnlocked(),
			Error: "Tick the box to confirm you understand what keeping the vault unlocked gives away."})
		return
	}
	// Writing the data key to the card gives every secret to whoever takes
	// the card: only the master password may decide that (issue 12).
	if on && !s.reauthenticated(w, r, "security", func() (page, error) {
		return page{Title: "Master password", Data: s.cfg.Keyring.KeepUnlocked()}, nil
	}, "Keeping the phone unlocked") {
		return
	}
	if err := s.cfg.Keyring.SetKeepUnlocked(r.Context(), on); err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "The vault will be locked after every restart."
	if on {
		msg = "The vault now stays unlocked across restarts."
	}
	s.cfg.Log.Warn("keep-unlocked changed", "on", on)
	seeOther(w, r, "/security", msg)
}
