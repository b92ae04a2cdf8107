// Package webadmin is the phone's LAN web admin: first-run setup of the
// master password, login (which unlocks the vault), the call controls and
// status, accounts, privacy settings and, on the simulated board, a virtual
// panel of buttons and lamps, kept live over Server-Sent Events.
//
// It is served over HTTPS only (plain HTTP redirects); every page but
// setup and login needs a session, every state change a CSRF token.
package webadmin

import (
	"context"
	"crypto/rand"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/messaging"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/store"
)

//go:embed static templates
var content embed.FS

// Phone is what the web admin needs of the brain.
type Phone interface {
	State() phone.State
	Lamps() phone.Lamps
	Watch() (<-chan struct{}, func())
	Post(ctx context.Context, ev phone.Event) error
}

// Panel is the simulated board's face: buttons to press, lamps to look at.
// It is nil on a real board, where the web admin shows no panel.
type Panel interface {
	Press(b hw.Button, hold time.Duration)
	Lamp(l hw.Lamp) hw.Pattern
	Subscribe() (<-chan struct{}, func())
}

// Config wires the web admin.
type Config struct {
	Phone   Phone
	Panel   Panel
	Keyring *keyring.Keyring
	Store   *store.Store
	Log     *slog.Logger
	Now     func() time.Time // defaults to time.Now
	// AccountsChanged is called after any account, or its password,
	// changed, so the protocol drivers can follow. May be nil.
	AccountsChanged func()
	// AccountStatus says how an account's connection stands ("registered",
	// "not registered: wrong password…"), in plain words. May be nil.
	AccountStatus func(store.Account) string
	// Messaging runs the XMPP accounts; nil shows the chat pages empty.
	Messaging *messaging.Service
	// DeviceKey signs the device cookies of browsers that logged in before
	// (see guard.go); kept across restarts (LoadDeviceKey) so the owner's
	// browser stays trusted after a reboot. Nil: a new key per process.
	DeviceKey []byte
	// Status feeds the status page.
	Status StatusInfo
	// BackupParams is the argon2id cost of a backup's passphrase; zero:
	// the master password's shipped cost. Tests lower it.
	BackupParams vault.Params
	// System updates and reboots the device (gokrazy); nil off a phone
	// image, where the page says so.
	System System
	// FactoryReset erases the phone's data once the appliance has stopped,
	// and restarts it into first-run setup; nil: not offered.
	FactoryReset func()
	// Desk keeps the headset's levels and do-not-disturb; nil: no Sound
	// page.
	Desk Desk
	// Profiling serves /debug/pprof/ to logged-in users (-pprof); off by
	// default.
	Profiling bool
}

// System is the device's firmware and power, as the maintenance page uses it.
type System interface {
	// Update writes a new root file system, checks what was written, and
	// switches the next boot to it; it returns the root's SHA-256.
	Update(ctx context.Context, root io.Reader, size int64) (string, error)
	// Reboot restarts the device.
	Reboot(ctx context.Context) error
}

// defaultBackupParams: a backup's passphrase costs what the master
// password does; the file is made and opened rarely.
var defaultBackupParams = vault.DefaultParams

// Server serves the web admin. Create it with New.
type Server struct {
	cfg       Config
	pages     map[string]*template.Template
	mux       *http.ServeMux
	sessions  *sessions
	throttle  *throttle
	deviceKey []byte
}

// New builds the handlers.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AccountsChanged == nil {
		cfg.AccountsChanged = func() {}
	}
	if cfg.AccountStatus == nil {
		cfg.AccountStatus = func(store.Account) string { return "" }
	}
	if cfg.Phone == nil || cfg.Keyring == nil || cfg.Store == nil {
		return nil, fmt.Errorf("webadmin: Phone, Keyring and Store are required")
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, pages: pages, mux: http.NewServeMux(),
		sessions: newSessions(cfg.Now), throttle: newThrottle(cfg.Now), deviceKey: cfg.DeviceKey,
	}
	if len(s.deviceKey) == 0 {
		s.deviceKey = make([]byte, 32)
		rand.Read(s.deviceKey)
	}
	static, _ := fs.Sub(content, "static")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	s.mux.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		// Files only: no directory listing.
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
	s.mux.HandleFunc("GET /setup", s.setupPage)
	s.mux.HandleFunc("POST /setup", s.setup)
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.login)

	s.handle("POST /logout", s.logout)
	s.handle("GET /{$}", s.index)
	s.handle("GET /events", s.events)
	s.handle("GET /state", s.stateJSON)
	s.handle("POST /call/{action}", s.callAction)
	if cfg.Panel != nil {
		s.handle("POST /panel/press", s.press)
	}
	s.handle("GET /accounts", s.accountsPage)
	s.handle("GET /accounts/new", s.accountNewPage)
	s.handle("POST /accounts", s.accountCreate)
	s.handle("GET /accounts/{id}", s.accountEditPage)
	s.handle("POST /accounts/{id}", s.accountUpdate)
	s.handle("POST /accounts/{id}/delete", s.accountDelete)
	s.handle("POST /accounts/{id}/enabled", s.accountEnabled)
	s.handle("POST /accounts/{id}/password", s.accountPassword)
	s.handle("POST /accounts/{id}/forget-password", s.accountForgetPassword)
	s.handle("GET /passwords", s.passwordsPage)
	s.handle("GET /settings", s.settingsPage)
	s.handle("POST /settings", s.settingsSave)
	s.handle("POST /history/purge", s.historyPurge)
	s.handle("GET /history", s.historyPage)
	s.handle("GET /security", s.securityPage)
	s.handle("POST /security/password", s.changePassword)
	s.handle("POST /security/keep-unlocked", s.keepUnlocked)
	s.routeXMPP()
	s.routePhonebook()
	s.handle("GET /status", s.statusPage)
	s.routeMaintenance()
	s.routeDesk()
	s.routeProfiling()
	return s, nil
}

// ServeHTTP applies the headers every response carries, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No inline script anywhere: the CSP forbids it, so an injected
	// <script> in a contact name or a message cannot run.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("Strict-Transport-Security", "max-age=31536000")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if !readForm(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// RedirectHTTPS is the whole plain-HTTP server: every request is sent to
// the same path on the HTTPS port. Nothing else is served in clear.
func RedirectHTTPS(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		target := "https://" + joinHostPort(host, httpsPort) + r.URL.RequestURI()
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	})
}

// joinHostPort leaves out the port when it is HTTPS's own.
func joinHostPort(host, port string) string {
	host = strings.Trim(host, "[]")
	if port == "443" || port == "" {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, port)
}
