package webadmin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/backup"
)

func (s *Server) routeMaintenance() {
	s.handle("GET /maintenance", s.maintenancePage)
	s.handle("POST /maintenance/backup", s.backupExport)
	s.handle("POST /maintenance/restore", s.backupRestore)
	s.handle("POST /maintenance/update", s.systemUpdate)
	s.handle("POST /maintenance/reboot", s.systemReboot)
	s.handle("POST /maintenance/reset", s.factoryReset)
}

func (s *Server) maintenancePage(w http.ResponseWriter, r *http.Request) {
	s.renderMaintenance(w, r, http.StatusOK, "")
}

func (s *Server) renderMaintenance(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	d := struct{ System, Reset, Updated bool }{s.cfg.System != nil, s.cfg.FactoryReset != nil, false}
	if status == http.StatusOK && r.Method == http.MethodPost && r.URL.Path == "/maintenance/update" {
		d.Updated = true
	}
	s.render(w, r, status, "maintenance", page{Title: "Backup and maintenance", Error: errMsg, Data: d})
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
	var file []byte
	err = s.cfg.Keyring.DeriveOther(func() (err error) {
		file, err = backup.Export(sn, []byte(pass), params, s.cfg.Now())
		return err
	})
	if errors.Is(err, keyring.ErrBusy) {
		s.kdfBusy(w, r)
		return
	}
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
	// The guard has parsed the multipart form already (its CSRF field), so
	// the file is read from there, bounded again here.
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
	var sn store.Snapshot
	err = s.cfg.Keyring.DeriveOther(func() (err error) {
		sn, err = backup.Open(b, []byte(r.PostFormValue("passphrase")))
		return err
	})
	if errors.Is(err, keyring.ErrBusy) {
		s.kdfBusy(w, r)
		return
	}
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
	seeOther(w, r, "/maintenance", "Backup restored: "+count(len(sn.Accounts), "account", "accounts")+", "+count(len(sn.Phonebook), "person", "people")+" in the phonebook, the encryption keys and settings.")
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

// maxRootSize bounds an uploaded root file system. Padlock's root is about
// 18 MiB (docs/BENCHMARKS.md); gokrazy's root partitions hold 500 MiB, but
// an upload past net/http's 32 MiB in-memory part goes to a temporary file,
// which is RAM on gokrazy, so the web admin takes at most 128 MiB (a larger
// root goes through `make update`).
const maxRootSize = 128 << 20

// squashfsMagic starts every squashfs image (little endian "hsqs").
const squashfsMagic = "hsqs"

// systemUpdate writes an uploaded root image through gokrazy, checked
// (a squashfs, within the partition, the SHA-256 gokrazy wrote equal to
// the upload's) before the next boot is switched to it, then reboots.
func (s *Server) systemUpdate(w http.ResponseWriter, r *http.Request) {
	if s.cfg.System == nil {
		s.renderMaintenance(w, r, http.StatusNotImplemented, "This is not a phone image: update it with `make update` from the computer that built it.")
		return
	}
	if !s.masterAgain(w, r) {
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.renderMaintenance(w, r, http.StatusBadRequest, "Not updated: choose the new root file system (root.squashfs from `make image`).")
		return
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != squashfsMagic || hdr.Size > maxRootSize {
		s.renderMaintenance(w, r, http.StatusBadRequest, fmt.Sprintf("Not updated: that is not a root file system (a squashfs of at most %d MiB). Nothing was changed.", maxRootSize>>20))
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.fail(w, r, err)
		return
	}
	sum, err := s.cfg.System.Update(r.Context(), f, hdr.Size)
	if err != nil {
		s.cfg.Log.Error("update failed", "err", err)
		s.renderMaintenance(w, r, http.StatusBadGateway, "Not updated, the phone keeps its firmware: "+err.Error())
		return
	}
	s.cfg.Log.Warn("update written and checked; rebooting into it", "sha256", sum)
	s.rebootSoon()
	s.renderMaintenance(w, r, http.StatusOK, "")
}

func (s *Server) systemReboot(w http.ResponseWriter, r *http.Request) {
	if s.cfg.System == nil {
		s.renderMaintenance(w, r, http.StatusNotImplemented, "This is not a phone image: restart the program instead.")
		return
	}
	s.cfg.Log.Warn("reboot asked from the web admin")
	s.rebootSoon()
	seeOther(w, r, "/maintenance", "Rebooting: the web admin is back in about a minute; log in again then.")
}

// rebootSoon reboots after the answer has gone out.
func (s *Server) rebootSoon() {
	go func() {
		time.Sleep(time.Second) // let the response reach the browser first
		if err := s.cfg.System.Reboot(context.Background()); err != nil {
			s.cfg.Log.Error("reboot failed", "err", err)
		}
	}()
}

// factoryReset erases everything on the phone after the master password
// was entered again and the erase ticked; the appliance restarts into
// first-run setup.
func (s *Server) factoryReset(w http.ResponseWriter, r *http.Request) {
	if s.cfg.FactoryReset == nil {
		s.renderMaintenance(w, r, http.StatusNotImplemented, "Factory reset is not available here.")
		return
	}
	if r.PostFormValue("erase") != "yes" {
		s.renderMaintenance(w, r, http.StatusBadRequest, "Tick the box to confirm that every account, key, phonebook entry and the history go.")
		return
	}
	if !s.masterAgain(w, r) {
		return
	}
	s.cfg.Log.Warn("factory reset asked from the web admin")
	s.sessions.destroyAll()
	s.cfg.Keyring.Lock()
	s.cfg.FactoryReset()
	s.render(w, r, http.StatusOK, "reset", page{Title: "Factory reset"})
}

// kdfBusy answers a backup or restore refused because other password
// checks fill the device's one KDF queue (keyring.DeriveOther).
func (s *Server) kdfBusy(w http.ResponseWriter, r *http.Request) {
	msg := slowDownMessage(w, busyRetry, keyring.ErrBusy)
	s.renderMaintenance(w, r, http.StatusTooManyRequests, "Nothing done: "+msg)
}
