// Command padlock-rig runs the desk scenario (hw/rig.Scenario) on a real
// Padlock phone: from a second Raspberry Pi (or spare lines of the phone's
// own) whose GPIO lines are wired to the phone's buttons and lamps and whose
// USB audio adapter is wired to the phone's headset adapter, with
// linphonec as the far phone. docs/HARDWARE.md has the parts, the wiring
// and the expected output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/padlock-phone/padlock/hw/rig"
	"github.com/padlock-phone/padlock/media/prompts"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "padlock-rig:", err)
		os.Exit(1)
	}
}

type config struct {
	web, fingerprint, passwordFile string
	pins                           rig.BoardPins
	audio                          string
	far                            farConfig
	sasScore, toneLevel            float64
	window, wait                   time.Duration
	debug                          bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{pins: rig.BoardPins{}}
	fs := flag.NewFlagSet("padlock-rig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.web, "web", "", "the phone's web admin, https://HOST (required)")
	fs.StringVar(&c.fingerprint, "fingerprint", "", "the web admin certificate's SHA-256, as the phone logs it (certificate_sha256=...) (required)")
	fs.StringVar(&c.passwordFile, "password-file", "", "file holding the phone's master password (required; not a flag value, which ps would show)")
	for _, p := range []struct{ part, def string }{
		{"answer", "GPIO23"}, {"hangup", "GPIO24"}, {"sas", "GPIO25"},
		{"lock", "GPIO16"}, {"alert", "GPIO20"}, {"status", "GPIO21"},
	} {
		c.pins[p.part] = p.def
		fs.Func("rig-"+p.part, fmt.Sprintf("the rig's line wired to the phone's %s (default %s)", strings.ToUpper(p.part), p.def),
			func(v string) error { c.pins[p.part] = v; return nil })
	}
	fs.StringVar(&c.audio, "audio", "malgo", "the rig's sound card wired to the headset adapter: malgo or malgo:NAME")
	fs.StringVar(&c.far.bin, "linphonec", "linphonec", "the far phone's linphonec binary (Debian package linphone-cli)")
	fs.StringVar(&c.far.user, "far-user", "", "the far phone's SIP user (required)")
	fs.StringVar(&c.far.password, "far-password-file", "", "file holding the far phone's SIP password (required)")
	fs.StringVar(&c.far.domain, "far-domain", "", "the SIP domain of both accounts (required)")
	fs.StringVar(&c.far.registrar, "far-registrar", "", "the SIP registrar, host:port (default: the domain, port 5060)")
	fs.StringVar(&c.far.target, "phone-uri", "", "the phone's SIP address the far phone calls, sip:user@domain (required)")
	fs.Float64Var(&c.sasScore, "sas-score", 0.6, "least envelope match of the spoken SAS (0-1)")
	fs.Float64Var(&c.toneLevel, "tone-level", 0.02, "least level of each tone on the other side (fraction of full scale)")
	fs.DurationVar(&c.window, "window", rig.MinWindow, "how long each lamp reading watches the lines")
	fs.DurationVar(&c.wait, "step-timeout", 90*time.Second, "how long each step may take (the first includes the phone's reboot)")
	fs.BoolVar(&c.debug, "debug", false, "log every lamp reading")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var missing []string
	for _, r := range []struct{ name, v string }{{"web", c.web}, {"fingerprint", c.fingerprint}, {"password-file", c.passwordFile},
		{"far-user", c.far.user}, {"far-password-file", c.far.password}, {"far-domain", c.far.domain}, {"phone-uri", c.far.target}} {
		if r.v == "" {
			missing = append(missing, "-"+r.name)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("missing %s (padlock-rig -h lists every flag; docs/HARDWARE.md shows a full command line)", strings.Join(missing, ", "))
	}
	if c.far.registrar == "" {
		c.far.registrar = c.far.domain + ":5060"
	}
	if !strings.HasPrefix(c.audio, "malgo") {
		return c, fmt.Errorf("-audio %q: the rig listens through a real sound card, malgo or malgo:NAME", c.audio)
	}
	return c, nil
}

func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	password, err := readSecret(cfg.passwordFile)
	if err != nil {
		return fmt.Errorf("-password-file: %w", err)
	}
	if cfg.far.password, err = readSecret(cfg.far.password); err != nil {
		return fmt.Errorf("-far-password-file: %w", err)
	}
	level := slog.LevelInfo
	if cfg.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	admin, err := rig.NewAdmin(cfg.web, cfg.fingerprint)
	if err != nil {
		return err
	}
	defer admin.Close()
	card, err := openSoundcard(cfg.audio, log)
	if err != nil {
		return err
	}
	defer card.Close()
	board, err := rig.OpenBoard(cfg.pins, card)
	if err != nil {
		return err
	}
	defer board.Close()
	farCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	far, err := startLinphonec(farCtx, cfg.far)
	cancel()
	if err != nil {
		return err
	}
	defer far.stop()

	fmt.Fprintf(stdout, "padlock-rig: reboot the phone now (power it off and on); the scenario starts by waiting for ALERT to blink.\n")
	s := &rig.Scenario{
		Rig: board, Admin: admin, Far: far, Password: password,
		SASSpoken: spokenSAS, SASScore: cfg.sasScore, ToneLevel: cfg.toneLevel,
		Window: cfg.window, Wait: cfg.wait, Log: log,
	}
	// The first step waits for the reboot too.
	steps, err := s.Run(ctx)
	report(stdout, steps)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "PASS")
	return nil
}

// report prints one line per step: ok or FAIL, its time, its name.
func report(w io.Writer, steps []rig.Step) {
	for _, st := range steps {
		mark := "ok  "
		if st.Err != nil {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %6.1fs  %s\n", mark, st.Took.Seconds(), st.Name)
		if st.Err != nil {
			fmt.Fprintf(w, "     %v\n", st.Err)
		}
	}
}

// spokenSAS scores the SAS words in what the rig heard, by their loudness
// contour (the analog path keeps no sample alignment).
func spokenSAS(heard []int16, rate int, sas string) float64 {
	want, err := prompts.SAS(sas, rate)
	if err != nil {
		return 0
	}
	return rig.EnvelopeMatch(heard, want, rate)
}
