// Command appliance is the one process of a Padlock phone: it reads its
// flags, builds the board, the lines, the brain and the web admin, and runs
// them until SIGINT or SIGTERM. Wiring only; the logic lives in the packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/hw/gpio"
	"github.com/padlock-phone/padlock/hw/sim"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/protocols/jingleline"
	"github.com/padlock-phone/padlock/protocols/lines"
	"github.com/padlock-phone/padlock/protocols/testline"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/webadmin"
)

// heapLimit is the Go heap's soft limit (unless GOMEMLIMIT says
// otherwise): past it the garbage collector works harder instead of letting
// the heap double, so a burst of connections on top of an argon2id's 80 MiB
// stays well inside the 1 GB board (issue 12; docs/BENCHMARKS.md).
const heapLimit = 192 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(heapLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "appliance:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	data     string
	board    string
	audio    string
	http     string
	https    string
	sip      string
	logLevel slog.Level
	pins     hw.Pins
	history  store.HistoryLimits
	// simEdges, with -board sim, is a file each lamp edge is appended to,
	// for the hardware-in-the-loop rig (tests/hil) to measure blinks.
	simEdges string
	// profiling serves /debug/pprof/ to logged-in users; cpuProfile
	// writes a CPU profile of the whole run to a file (issue 19).
	profiling  bool
	cpuProfile string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{pins: hw.DefaultPins(), history: store.DefaultHistoryLimits}
	fs := flag.NewFlagSet("appliance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.data, "data", defaultDataDir(), "directory for the phone's state (the store, keys, certificates)")
	fs.StringVar(&c.board, "board", "gpio", "buttons and lamps: gpio (the real board) or sim (simulated, with a panel in the web admin)")
	fs.StringVar(&c.audio, "audio", "malgo", "headset: malgo, malgo:NAME (prefer that headset), null, file:DIR or file:DIR,loop")
	fs.StringVar(&c.http, "http", ":80", "address of the plain-HTTP listener, which only redirects to HTTPS")
	fs.StringVar(&c.https, "https", ":443", "address of the web admin (HTTPS, self-signed certificate made at first run)")
	fs.StringVar(&c.sip, "sip", "0.0.0.0:0", "local address of the SIP accounts and their calls' media (port 0: any free one)")
	fs.TextVar(&c.logLevel, "log", slog.LevelInfo, "log level: debug, info, warn, error")
	fs.IntVar(&c.history.MaxCalls, "history-calls", c.history.MaxCalls, "call history keeps at most this many calls (0: no cap); the oldest go first")
	fs.IntVar(&c.history.MaxChats, "history-messages", c.history.MaxChats, "chat history keeps at most this many messages (0: no cap)")
	fs.DurationVar(&c.history.MaxAge, "history-age", c.history.MaxAge, "history older than this is dropped (0: kept however old)")
	fs.StringVar(&c.pins.Answer, "pin-answer", c.pins.Answer, "GPIO line of the ANSWER button")
	fs.StringVar(&c.pins.Hangup, "pin-hangup", c.pins.Hangup, "GPIO line of the HANGUP button")
	fs.StringVar(&c.pins.SAS, "pin-sas", c.pins.SAS, "GPIO line of the SAS button")
	fs.StringVar(&c.pins.Lock, "pin-lock", c.pins.Lock, "GPIO line of the LOCK lamp")
	fs.StringVar(&c.pins.Alert, "pin-alert", c.pins.Alert, "GPIO line of the ALERT lamp")
	fs.StringVar(&c.pins.Status, "pin-status", c.pins.Status, "GPIO line of the STATUS lamp")
	fs.StringVar(&c.simEdges, "sim-lamp-edges", "", "with -board sim: append every lamp edge to this file (\"lamp 0|1 unix-ns\" lines), for test rigs")
	fs.BoolVar(&c.profiling, "pprof", false, "serve Go's profiles at /debug/pprof/ in the web admin, to a logged-in owner only")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch c.board {
	case "gpio", "sim":
	default:
		return c, fmt.Errorf("-board %q: want gpio or sim", c.board)
	}
	return c, nil
}

// defaultDataDir is /perm/padlock on a gokrazy device (its writable
// partition) and ./var elsewhere.
func defaultDataDir() string {
	if _, err := os.Stat("/gokrazy"); err == nil {
		if st, err := os.Stat("/perm"); err == nil && st.IsDir() {
			return "/perm/padlock"
		}
	}
	return "./var"
}

// vaultParams is the argon2id cost of the master password; tests lower it.
var vaultParams = vault.DefaultParams

// board is what the appliance needs of either board.
type board interface {
	phone.Board
	Close() error
}

// run is the whole appliance; ready (if not nil) receives the web admin's
// HTTPS address once it listens. It returns after every part has stopped.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	started := time.Now()
	if cfg.cpuProfile != "" {
		stopProfile, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	// A factory reset erases the data directory last of all, after every
	// part below (the store first) has stopped: deferred first, runs last.
	var erase atomic.Bool
	resetAsked := make(chan struct{}, 1)
	defer func() {
		if erase.Load() {
			if err := eraseData(cfg.data, log); err != nil {
				log.Error("factory reset incomplete", "err", err)
			}
		}
	}()

	dev, err := audio.OpenWith(cfg.audio, audio.Options{Log: log.With("part", "audio")})
	if err != nil {
		return fmt.Errorf("-audio %q: %w", cfg.audio, err)
	}
	defer dev.Close()
	ear := headset.New(dev, log.With("part", "headset"))
	defer ear.Close()

	var b board
	var panel webadmin.Panel
	switch cfg.board {
	case "sim":
		edges, closeEdges, err := lampEdgeLog(cfg.simEdges)
		if err != nil {
			return err
		}
		defer closeEdges()
		sb, err := sim.NewWatched(edges)
		if err != nil {
			return fmt.Errorf("simulated board: %w", err)
		}
		b, panel = sb, sb
	default:
		gb, err := gpio.Open(cfg.pins)
		if err != nil {
			return fmt.Errorf("board: %w (on a computer without GPIO, use -board sim)", err)
		}
		b = gb
	}
	defer b.Close()

	st, err := store.Open(ctx, filepath.Join(cfg.data, "padlock.db"), nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer st.Close()
	st.SetHistoryLimits(cfg.history)

	// The brain is made after its lines, and the lines post to it: post
	// waits for it through this variable, set just below.
	var brain *phone.Phone
	var web *webadmin.Server // made after the brain; the owner gesture reaches it
	post := func(ev phone.Event) { brain.Post(context.Background(), ev) }
	var keys *keyring.Keyring
	calls := newConference(ear, log.With("part", "conference")) // the calls' audio: the headset, or the mixer
	sipSide := newSIPSide(st, passwordsOf(func() *keyring.Keyring { return keys }), calls, cfg.sip, post, log.With("part", "sip"))
	xmppSide := newXMPPSide(st, passwordsOf(func() *keyring.Keyring { return keys }), cfg.data, post, log.With("part", "xmpp"))

	jingleLine, err := newJingleLine(st, ear, cfg.sip, xmppSide, post, log.With("part", "jingle"))
	if err != nil {
		return fmt.Errorf("jingle: %w", err)
	}
	defer jingleLine.Close()

	tests := testline.New(testline.DefaultTiming)
	defer tests.Close()
	mux := lines.New(
		lines.Route{Name: "test lines", Line: tests, Takes: testline.Handles},
		lines.Route{Name: "XMPP calls", Line: jingleLine, Takes: jingleline.Takes},
		lines.Route{Name: "SIP", Line: sipSide.line},
	)
	defer mux.Close()

	desk := deskSettings{st: st, ear: ear, post: post, log: log.With("part", "desk")}
	dnd := desk.load(ctx)
	brain = phone.New(phone.Config{
		Board:      b,
		Telephony:  mux,
		Voice:      voice{H: ear, Log: log.With("part", "voice"), Name: callerName(st)},
		History:    newCallHistory(st, log.With("part", "history")),
		Favourites: favourites(st, log.With("part", "speed dial")),
		Conference: calls,
		Log:        log.With("part", "phone"),
		Initial:    phone.State{VaultLocked: true, DoNotDisturb: dnd},
		// HANGUP + SAS held together: the owner clears the login throttle.
		OwnerPresent: func() {
			if web != nil {
				web.OwnerPresent()
			}
		},
	})

	keys, err = keyring.Open(cfg.data, st, vaultParams, func(locked bool) {
		post(phone.VaultLocked{Locked: locked})
		if !locked {
			sipSide.Reload() // the passwords are readable now
			xmppSide.Reload()
			desk.unlocked(context.Background())
		}
	})
	if err != nil && keys == nil {
		return fmt.Errorf("vault: %w", err)
	}
	if err != nil {
		log.Warn("vault stays locked: the keep-unlocked key file did not open it", "err", err)
	}
	if !keys.Initialized() {
		log.Info("first run: open the web admin to set the master password")
	}

	var system webadmin.System
	if _, err := os.Stat("/gokrazy"); err == nil {
		if g, ok := openGokrazySystem("/etc"); ok {
			system = g
		}
	}
	deviceKey, err := webadmin.LoadDeviceKey(cfg.data)
	if err != nil {
		return err
	}
	web, err = webadmin.New(webadmin.Config{
		DeviceKey: deviceKey,
		Phone:     brain, Panel: panel, Keyring: keys, Store: st, Log: log.With("part", "web"),
		AccountsChanged: func() { sipSide.Reload(); xmppSide.Reload() },
		AccountStatus:   func(a store.Account) string { return accountStatus(sipSide, xmppSide, a) },
		Messaging:       xmppSide.svc,
		Desk:            desk,
		Profiling:       cfg.profiling,
		BackupParams:    vaultParams,
		System:          system,
		FactoryReset: func() {
			erase.Store(true)
			select {
			case resetAsked <- struct{}{}:
			default:
			}
		},
		Status: webadmin.StatusInfo{Build: buildInfo(), Started: started, DataDir: cfg.data, Headset: headsetStatus(dev)},
	})
	if err != nil {
		return err
	}
	cert, fp, err := webadmin.DeviceCert(cfg.data, webadmin.DefaultHosts(), time.Now())
	if err != nil {
		return fmt.Errorf("web admin certificate: %w", err)
	}
	tlsLn, err := net.Listen("tcp", cfg.https)
	if err != nil {
		return fmt.Errorf("web admin: %w", err)
	}
	plainLn, err := net.Listen("tcp", cfg.http)
	if err != nil {
		tlsLn.Close()
		return fmt.Errorf("web admin redirect: %w", err)
	}
	_, httpsPort, _ := net.SplitHostPort(tlsLn.Addr().String())
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	newServer := func(h http.Handler) *http.Server {
		srv := &http.Server{
			Handler: h,
			// Requests (the event streams too) end when the appliance stops.
			BaseContext: func(net.Listener) context.Context { return runCtx },
			ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		webadmin.Harden(srv)
		return srv
	}
	srv := newServer(web)
	srv.TLSConfig = webadmin.TLSConfig(cert)
	redirect := newServer(webadmin.RedirectHTTPS(httpsPort))

	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Go(func() { sipSide.run(runCtx, log.With("part", "sip")) })
	wg.Go(func() { xmppSide.run(runCtx, log.With("part", "xmpp")) })
	wg.Go(func() { desk.keepDoNotDisturb(runCtx, brain, dnd) })
	wg.Go(func() {
		if err := brain.Run(runCtx); err != nil {
			errs <- fmt.Errorf("phone: %w", err)
		}
	})
	wg.Go(func() {
		if err := srv.ServeTLS(tlsLn, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("web admin: %w", err)
		}
	})
	wg.Go(func() {
		if err := redirect.Serve(plainLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("web admin redirect: %w", err)
		}
	})
	addr := tlsLn.Addr().String()
	log.Info("padlock running", "web", "https://"+addr, "redirect", "http://"+plainLn.Addr().String(),
		"certificate_sha256", fp, "board", cfg.board, "audio", cfg.audio, "data", cfg.data)
	if ready != nil {
		ready <- addr
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-errs:
		log.Error("stopping after failure", "err", runErr)
	case <-resetAsked:
		// On a phone gokrazy starts the appliance again, into first-run setup.
		log.Warn("factory reset: stopping to erase the data")
	}
	cancel()
	shutCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	for _, s := range []*http.Server{srv, redirect} {
		if err := s.Shutdown(shutCtx); err != nil {
			s.Close()
		}
	}
	wg.Wait()
	log.Info("stopped")
	return runErr
}

// lampEdgeLog is the -sim-lamp-edges file as a sim.LampEdge (nil without
// the flag), and what closes it.
func lampEdgeLog(path string) (sim.LampEdge, func(), error) {
	if path == "" {
		return nil, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("-sim-lamp-edges: %w", err)
	}
	var mu sync.Mutex
	return func(l hw.Lamp, high bool, at time.Time) {
		v := 0
		if high {
			v = 1
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(f, "%s %d %d\n", l, v, at.UnixNano())
	}, func() { f.Close() }, nil
}

// startCPUProfile profiles the whole run into path; the returned function
// stops the profile and closes the file.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
