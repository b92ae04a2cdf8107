package webadmin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/store/atomicfile"
	"github.com/padlock-phone/padlock/store/backup"
	"github.com/padlock-phone/padlock/store/phonebook"
)

// deviceCookie marks a browser that has logged in on this phone before. It
// is the owner's way past the device-wide limit: an attacker's failures from
// other addresses never slow a browser holding it (docs/SECURITY.md, "login
// throttle"). It carries no authority by itself; only the password logs in.
const deviceCookie = "__Host-padlock-device"

const (
	deviceIDLen  = 16
	deviceMACLen = 16
	// deviceCookieAge: a year; a browser unused for longer is a new one.
	deviceCookieAge = 365 * 24 * time.Hour
)

// busyRetry is the Retry-After of a request refused because the KDF queue
// was full: one or two checks ahead, each about half a second on the board.
const busyRetry = 2 * time.Second

// errSlowDown is a password attempt refused by the throttle.
var errSlowDown = errors.New("too many wrong passwords")

// guesser says who a password attempt counts against.
func (s *Server) guesser(r *http.Request) guesser {
	if id, ok := s.deviceID(r); ok {
		return guesser{key: "device:" + id, trusted: true}
	}
	return guesser{key: "addr:" + guesserAddr(r)}
}

// guesserAddr is the client address, an IPv6 one cut to its /64: one host
// on the LAN can take any number of addresses in its prefix.
func guesserAddr(r *http.Request) string {
	ip := net.ParseIP(clientAddr(r))
	if ip == nil {
		return clientAddr(r)
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// tryPassword runs check (one argon2id, through the keyring's KDF gate)
// under the throttle: the attempt is counted before check runs and refunded
// if the password was right. A refused attempt returns how long to wait.
func (s *Server) tryPassword(r *http.Request, check func() error) (retry time.Duration, err error) {
	g := s.guesser(r)
	if wait := s.throttle.begin(g); wait > 0 {
		return wait, errSlowDown
	}
	err = check()
	switch {
	case err == nil:
		s.throttle.refund(g)
	case errors.Is(err, keyring.ErrBusy):
		s.throttle.unused(g)
		s.cfg.Log.Warn("password check refused: the KDF queue is full", "client", clientAddr(r))
		return busyRetry, err
	case errors.Is(err, keyring.ErrWrongPassword):
		s.cfg.Log.Warn("wrong master password", "path", r.URL.Path, "client", clientAddr(r), "trusted_browser", g.trusted)
	default:
		s.throttle.unused(g)
	}
	return 0, err
}

// slowDownMessage is what a refused attempt tells the person; it sets
// Retry-After on w.
func slowDownMessage(w http.ResponseWriter, wait time.Duration, err error) string {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	if errors.Is(err, keyring.ErrBusy) {
		return "The phone is busy checking other passwords. Try again in " + count(secs, "second", "seconds") + "."
	}
	return "Too many wrong passwords. Wait " + count(secs, "second", "seconds") + " before trying again."
}

// OwnerPresent clears the login throttle: the owner held HANGUP + SAS on
// the phone itself (the brain calls this), which no one on the network can.
func (s *Server) OwnerPresent() {
	s.throttle.clear()
	s.cfg.Log.Warn("login throttle cleared at the phone (HANGUP + SAS held)")
}

// deviceID reads a valid device cookie of r.
func (s *Server) deviceID(r *http.Request) (string, bool) {
	c, err := r.Cookie(deviceCookie)
	if err != nil {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) != deviceIDLen+deviceMACLen {
		return "", false
	}
	id, mac := b[:deviceIDLen], b[deviceIDLen:]
	if !hmac.Equal(mac, s.deviceMAC(id)) {
		return "", false
	}
	return base64.RawURLEncoding.EncodeToString(id), true
}

func (s *Server) deviceMAC(id []byte) []byte {
	m := hmac.New(sha256.New, s.deviceKey)
	m.Write([]byte("padlock device cookie v1\x00"))
	m.Write(id)
	return m.Sum(nil)[:deviceMACLen]
}

// markDevice gives the browser of r a device cookie after a login that
// proved the password (keeping the one it has, so its count stays its own).
func (s *Server) markDevice(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.deviceID(r); ok {
		return
	}
	id := make([]byte, deviceIDLen)
	rand.Read(id)
	v := append(id, s.deviceMAC(id)...)
	http.SetCookie(w, &http.Cookie{
		Name: deviceCookie, Value: base64.RawURLEncoding.EncodeToString(v), Path: "/",
		MaxAge: int(deviceCookieAge / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

// maxFormBytes bounds every form post. The largest real form is a chat
// message (10,000 bytes, up to three times that URL-encoded).
const maxFormBytes = 64 << 10

// uploads are the only posts that carry a file (multipart/form-data), each
// with its own bound. Their bodies are read only after the session check
// (auth.go). The backup and the vCard stay below net/http's 32 MiB
// in-memory limit; a root image may go past it into a temporary file (RAM
// on gokrazy), which maxRootSize bounds.
var uploads = map[string]int64{
	"/maintenance/restore": backup.MaxFileSize + 64<<10,
	"/phonebook/import":    phonebook.MaxVCardBytes + 64<<10,
	"/maintenance/update":  maxRootSize + 64<<10,
}

// readForm reads the body of a state-changing request before any handler
// runs: URL-encoded only (multipart spools to temporary files, which are
// RAM on gokrazy), at most maxFormBytes, refused at once with 413 if the
// length says it is larger. The uploads above are the exception.
// It reports whether the request may go on.
func readForm(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if limit, ok := uploads[r.URL.Path]; ok && r.Method == http.MethodPost {
		if r.ContentLength > limit {
			tooLargeUpload(w, limit)
			return false
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" {
			http.Error(w, "this form uploads a file: it takes multipart/form-data only", http.StatusUnsupportedMediaType)
			return false
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		return true
	}
	if r.ContentLength > maxFormBytes {
		tooLarge(w)
		return false
	}
	if ct := r.Header.Get("Content-Type"); ct != "" || r.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			http.Error(w, "the web admin takes forms as application/x-www-form-urlencoded only", http.StatusUnsupportedMediaType)
			return false
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge(w)
			return false
		}
		http.Error(w, "the form could not be read: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func tooLargeUpload(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close")
	http.Error(w, fmt.Sprintf("the file is too large: this form takes at most %d KiB", limit>>10), http.StatusRequestEntityTooLarge)
}

func tooLarge(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	http.Error(w, fmt.Sprintf("the form is too large: the web admin takes at most %d KiB", maxFormBytes>>10), http.StatusRequestEntityTooLarge)
}

// deviceKeyFile holds the key of the device cookies in the data directory.
const deviceKeyFile = "webadmin-device.key"

// LoadDeviceKey reads the device-cookie key from dir, making it on first
// run. It is kept across restarts so the owner's browser is still known
// after a reboot, when the phone is locked and the login matters most.
func LoadDeviceKey(dir string) ([]byte, error) {
	p := filepath.Join(dir, deviceKeyFile)
	k, err := os.ReadFile(p)
	if err == nil && len(k) == 32 {
		return k, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("device cookie key %s: %w", p, err)
	}
	k = make([]byte, 32)
	rand.Read(k)
	if err := atomicfile.WriteFile(p, k, 0o600); err != nil {
		return nil, fmt.Errorf("device cookie key %s: %w", p, err)
	}
	return k, nil
}
