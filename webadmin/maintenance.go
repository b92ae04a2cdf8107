package webadmin

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/backup"
)

func (s *Server) routeMaintenance() {
	s.handle("GET /maintenance", s.maintenancePage)
	s.handle("POST /maintenance/backup", s.backupExport)
	s.handle("POST /maintenance/restore", s.backupRestore)
}

func (s *Server) maintenancePage(w http.ResponseWriter, r *http.Request) {
	s.renderMaintenance(w, r, http.StatusOK, "")
}

func (s *Server) renderMaintenance(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	s.render(w, r, status, "maintenance", page{Title: "Backup and maintenance", Error: errMsg})
}

// masterAgain checks the master password entered again for a grave step
// (a backup holds every secret; a reset erases them), throttled like the
// login. It answers the request itself when the password is wrong.
func (s *Server) masterAgain(w http.ResponseWriter, r *http.Request) bool {
	pw := r.PostFormValue("master")
	if pw == "" || len(pw) > maxPasswordLen {
		s.renderMaintenance(w, r, http.StatusUnauthorized, "Enter the master password to confirm; nothing was done.")
		return false
	}
	wait, err := s.tryPassword(r, func() error { return s.cfg.Keyring.CheckPassword([]byte(pw)) })
	switch {
	case err == nil:
		return true
	case wait > 0:
		s.renderMaintenance(w, r, http.StatusTooManyRequests, slowDownMessage(w, wait, err)+" Nothing was done.")
	case errors.Is(err, keyring.ErrWrongPassword):
		s.renderMaintenance(w, r, http.StatusUnauthorized, "The master password is wrong; nothing was done.")
	default:
		s.fail(w, r, err)
	}
	return false
}

// backupExport downloads every account, key, the phonebook and the
// settings, sealed under a passphrase chosen now (store/backup).
func (s *Server) backupExport(w http.ResponseWriter, r *http.Request) {
	pass, confirm := r.PostFormValue("passphrase"), r.PostFormValue("confirm")
	if err := checkNewPassword(pass, confirm); err != nil {
		s.renderMaintenance(w, r, http.StatusBadRequest, "No backup made: the passphrase "+err.Error()+".")
		return
	}
	if !s.masterAgain(w, r) {
		return
	}
	sn, err := s.cfg.Store.TakeSnapshot(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer sn.Wipe()
	params := s.cfg.BackupParams
	if params.Time == 0 {
		params = defaultBackupParams
	}
	file, err := backup.Export(sn, []byte(pass), params, s.cfg.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Warn("backup exported: it holds every account password and key, sealed under its passphrase",
		"accounts", len(sn.Accounts), "phonebook", len(sn.Phonebook))
	name := "padlock-" + s.cfg.Now().Format("2006-01-02") + ".backup"
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(file)
}

// backupRestore opens an uploaded backup and writes it into this phone in
// one transaction; any refusal changes nothing.
func (s *Server) backupRestore(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, backup.MaxFileSize+64<<10)
	f, _, err := r.FormFile("file")
	if err != nil {
		s.renderMaintenance(w, r, http.StatusBadRequest, fmt.Sprintf("Nothing restored: choose a backup file of at most %d MiB.", backup.MaxFileSize>>20))
		return
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, backup.MaxFileSize+1))
	if err != nil {
		s.renderMaintenance(w, r, http.StatusBadRequest, "Nothing restored: the upload broke off.")
		return
	}
	sn, err := backup.Open(b, []byte(r.PostFormValue("passphrase")))
	if err != nil {
		s.renderMaintenance(w, r, http.StatusBadRequest, "Nothing restored: "+backupWords(err))
		return
	}
	defer sn.Wipe()
	if err := s.cfg.Store.Restore(r.Context(), sn); err != nil {
		if errors.Is(err, store.ErrNotFresh) {
			s.renderMaintenance(w, r, http.StatusConflict, "Nothing restored: this phone already has accounts or a phonebook. Restore a backup right after the first-run setup (or after a factory reset).")
			return
		}
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrDuplicate) {
			s.renderMaintenance(w, r, http.StatusBadRequest, "Nothing restored: the backup holds something this phone refuses: "+err.Error())
			return
		}
		s.fail(w, r, err)
		return
	}
	s.cfg.AccountsChanged()
	s.cfg.Log.Info("backup restored", "accounts", len(sn.Accounts), "phonebook", len(sn.Phonebook))
	seeOther(w, r, "/maintenance", fmt.Sprintf("Backup restored: %d accounts, %d people in the phonebook, the encryption keys and settings.", len(sn.Accounts), len(sn.Phonebook)))
}

// backupWords says what is wrong with a backup file and what to do.
func backupWords(err error) string {
	switch {
	case errors.Is(err, backup.ErrWrongPassphrase):
		return "the passphrase is wrong. It is the one chosen when the backup was made, not the master password."
	case errors.Is(err, backup.ErrTruncated):
		return "the file is cut short. Copy or download it again."
	case errors.Is(err, backup.ErrTooNew), errors.Is(err, backup.ErrUnknownSection):
		return "the backup was made by newer firmware (" + err.Error() + "). Update this phone first."
	case errors.Is(err, backup.ErrNotBackup):
		return "that is not a Padlock backup file."
	}
	return "the file was altered or damaged and does not open (" + err.Error() + ")."
}
