package rig

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/hw"
)

// Far is the other person on the call: a real SIP phone registered to the
// same server as the phone under test.
type Far interface {
	// Call rings the phone under test.
	Call(ctx context.Context) error
	// SAS waits for the call to be secured and returns the SAS the far
	// phone shows.
	SAS(ctx context.Context) (string, error)
	// Talk starts playing the far tone into the call and recording it.
	Talk(ctx context.Context) error
	// Ended waits until the far phone saw the call end; declined says
	// whether it must have been declined (HANGUP while ringing).
	Ended(ctx context.Context, declined bool) error
	// Heard returns what the far phone recorded of the call that ended.
	Heard(ctx context.Context) (pcm []int16, rate int, err error)
}

// Scenario is the desk scenario, written once for every rig: a phone just
// booted with a SIP account whose password is saved, so it is locked
// (ALERT blinks) until someone logs in; then registered, a call from Far
// rings (STATUS fast), ANSWER picks up, the SAS matches Far's and is read
// into the headset (before Far talks, so the words are heard alone), a tone
// is heard both ways, a long press of SAS verifies
// it (LOCK on), HANGUP ends it (idle); a second call is declined with
// HANGUP while it rings.
type Scenario struct {
	Rig      Rig
	Admin    Control // the web admin (*Admin), or a rig's stand-in for it
	Far      Far
	Password string // the master password

	// SASSpoken scores how well heard (at rate) holds sas spoken by the
	// phone's voice, 0 to 1 (the caller owns the prompts: hw/rig never
	// imports media).
	SASSpoken func(heard []int16, rate int, sas string) float64
	// SASScore is the least SASSpoken must reach: 0.9 through a file
	// headset, less through a real analog loop.
	SASScore float64
	// ToneLevel is the least level (fraction of full scale) a tone must
	// reach on the other side: 0.1 digitally, less through a cable.
	ToneLevel float64
	// Window is how long each lamp reading watches: MinWindow on a rig
	// that measures edges.
	Window time.Duration
	// Wait bounds each step.
	Wait time.Duration
	Log  *slog.Logger
}

// Control is what the scenario does and reads through the web admin.
type Control interface {
	// Login enters the master password, which unlocks a locked phone.
	Login(ctx context.Context, password string) error
	// WaitState waits until the phone's state satisfies ok.
	WaitState(ctx context.Context, what string, ok func(State) bool) (State, error)
}

var _ Control = (*Admin)(nil)

// Phone's and Far's tones: far enough apart for Goertzel to tell them.
const (
	PhoneTone = 700.0 // into the phone's microphone
	FarTone   = 440.0 // what Far plays
)

// Step is one step of the scenario and how it went.
type Step struct {
	Name string
	Took time.Duration
	Err  error
}

// lamps is a wanted reading of LOCK, ALERT, STATUS.
type lamps [3]hw.Pattern

func (l lamps) String() string {
	return fmt.Sprintf("LOCK %v, ALERT %v, STATUS %v", l[0], l[1], l[2])
}

// Run runs the scenario, stopping at the first failed step. It returns
// every step it ran; err is the failed step's.
func (s *Scenario) Run(ctx context.Context) ([]Step, error) {
	var sas string
	return s.runSteps(ctx, []step{
		{"booted locked: ALERT blinks", func(ctx context.Context) error { return s.lampsAre(ctx, lamps{hw.Off, hw.Blink, hw.Off}) }},
		{"unlock in the web admin", func(ctx context.Context) error { return s.Admin.Login(ctx, s.Password) }},
		{"registered: STATUS on", func(ctx context.Context) error { return s.lampsAre(ctx, lamps{hw.Off, hw.Off, hw.On}) }},
		{"incoming call: STATUS fast", func(ctx context.Context) error {
			if err := s.Rig.Say(Tone(PhoneTone, 16000, 10), 16000); err != nil {
				return err
			}
			if err := s.Far.Call(ctx); err != nil {
				return err
			}
			return s.lampsAre(ctx, lamps{hw.Off, hw.Off, hw.FastBlink})
		}},
		{"ANSWER: secured, LOCK blinks, same SAS", func(ctx context.Context) error {
			if err := s.Rig.Press(ctx, hw.Answer, 150*time.Millisecond); err != nil {
				return err
			}
			st, err := s.Admin.WaitState(ctx, "a secured call", func(st State) bool { return st.Security == "secured" })
			if err != nil {
				return err
			}
			far, err := s.Far.SAS(ctx)
			if err != nil {
				return err
			}
			if sas = st.SAS; !strings.EqualFold(sas, far) {
				return fmt.Errorf("SAS: the phone says %q, the far phone %q", sas, far)
			}
			return s.lampsAre(ctx, lamps{hw.Blink, hw.Off, hw.On})
		}},
		{"SAS read aloud in the headset", func(ctx context.Context) error {
			return s.heard(ctx, "the spoken SAS", func(pcm []int16, rate int) (float64, float64) {
				return s.SASSpoken(pcm, rate, sas), s.SASScore
			})
		}},
		{"the far tone in the headset", func(ctx context.Context) error {
			if err := s.Far.Talk(ctx); err != nil {
				return err
			}
			return s.heard(ctx, "the far phone's tone", func(pcm []int16, rate int) (float64, float64) {
				return ToneLevel(pcm, rate, FarTone), s.ToneLevel
			})
		}},
		{"long SAS press: verified, LOCK on", func(ctx context.Context) error {
			if err := s.Rig.Press(ctx, hw.SAS, hw.LongPress+300*time.Millisecond); err != nil {
				return err
			}
			return s.lampsAre(ctx, lamps{hw.On, hw.Off, hw.On})
		}},
		{"HANGUP: idle, the phone's tone reached the far phone", func(ctx context.Context) error {
			if err := s.Rig.Press(ctx, hw.Hangup, 150*time.Millisecond); err != nil {
				return err
			}
			if err := s.Far.Ended(ctx, false); err != nil {
				return err
			}
			if err := s.lampsAre(ctx, lamps{hw.Off, hw.Off, hw.On}); err != nil {
				return err
			}
			pcm, rate, err := s.Far.Heard(ctx)
			if err != nil {
				return err
			}
			if l := ToneLevel(pcm, rate, PhoneTone); l < s.ToneLevel {
				return fmt.Errorf("the phone's %v Hz in the far phone's recording: level %.3f, want at least %.3f", PhoneTone, l, s.ToneLevel)
			}
			return nil
		}},
		{"HANGUP while ringing declines", func(ctx context.Context) error {
			if err := s.Far.Call(ctx); err != nil {
				return err
			}
			if err := s.lampsAre(ctx, lamps{hw.Off, hw.Off, hw.FastBlink}); err != nil {
				return err
			}
			if err := s.Rig.Press(ctx, hw.Hangup, 150*time.Millisecond); err != nil {
				return err
			}
			if err := s.Far.Ended(ctx, true); err != nil {
				return err
			}
			return s.lampsAre(ctx, lamps{hw.Off, hw.Off, hw.On})
		}},
	})
}

// step is one named step of a scenario.
type step struct {
	name string
	do   func(ctx context.Context) error
}

// runSteps runs steps in order, each within s.Wait, up to the first failure.
func (s *Scenario) runSteps(ctx context.Context, list []step) ([]Step, error) {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Window == 0 {
		s.Window = MinWindow
	}
	if s.Wait == 0 {
		s.Wait = 20 * time.Second
	}
	var steps []Step
	for _, st := range list {
		start := time.Now()
		sctx, cancel := context.WithTimeout(ctx, s.Wait)
		err := st.do(sctx)
		cancel()
		step := Step{Name: st.name, Took: time.Since(start), Err: err}
		steps = append(steps, step)
		s.Log.Info("step", "name", st.name, "took", step.Took.Round(time.Millisecond), "err", err)
		if err != nil {
			return steps, fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return steps, nil
}

// RunPanel is the part of the scenario that needs neither a SIP peer nor
// a headset, for a rig that has neither (the QEMU rig): Far is the phone's
// own "ringback" test line. Booted locked (ALERT blinks); unlocked, no
// account (all off); the ringback rings (STATUS fast); ANSWER: talking
// (all off: a local call is neither secured nor clear); HANGUP: idle; the ringback again, declined with HANGUP while
// it rings.
func (s *Scenario) RunPanel(ctx context.Context) ([]Step, error) {
	idle := lamps{hw.Off, hw.Off, hw.Off}
	ringing := lamps{hw.Off, hw.Off, hw.FastBlink}
	return s.runSteps(ctx, []step{
		{"booted locked: ALERT blinks", func(ctx context.Context) error { return s.lampsAre(ctx, lamps{hw.Off, hw.Blink, hw.Off}) }},
		{"unlock: every lamp off (no account)", func(ctx context.Context) error {
			if err := s.Admin.Login(ctx, s.Password); err != nil {
				return err
			}
			return s.lampsAre(ctx, idle)
		}},
		{"ringback: STATUS fast", func(ctx context.Context) error {
			if err := s.Far.Call(ctx); err != nil {
				return err
			}
			return s.lampsAre(ctx, ringing)
		}},
		{"ANSWER: talking, STATUS stops blinking", func(ctx context.Context) error {
			if err := s.Rig.Press(ctx, hw.Answer, 150*time.Millisecond); err != nil {
				return err
			}
			if _, err := s.Admin.WaitState(ctx, "an active call", func(st State) bool { return st.Status == "active" }); err != nil {
				return err
			}
			// A test line's call never leaves the phone ("local"
			// security): neither LOCK nor ALERT has anything to say.
			return s.lampsAre(ctx, idle)
		}},
		{"HANGUP: idle", func(ctx context.Context) error {
			if err := s.Rig.Press(ctx, hw.Hangup, 150*time.Millisecond); err != nil {
				return err
			}
			if err := s.Far.Ended(ctx, false); err != nil {
				return err
			}
			return s.lampsAre(ctx, idle)
		}},
		{"ANSWER while idle redials: the ringback rings again, HANGUP declines it", func(ctx context.Context) error {
			// An outgoing call from the buttons alone: ANSWER on an idle
			// phone redials the last number, here the ringback line.
			if err := s.Rig.Press(ctx, hw.Answer, 150*time.Millisecond); err != nil {
				return err
			}
			if err := s.lampsAre(ctx, ringing); err != nil {
				return err
			}
			if err := s.Rig.Press(ctx, hw.Hangup, 150*time.Millisecond); err != nil {
				return err
			}
			if err := s.Far.Ended(ctx, true); err != nil {
				return err
			}
			return s.lampsAre(ctx, idle)
		}},
	})
}

// lampsAre reads the lamps, window after window, until they show want.
func (s *Scenario) lampsAre(ctx context.Context, want lamps) error {
	var last map[hw.Lamp]Reading
	var lastErr error
	for {
		got, err := s.Rig.Lamps(ctx, s.Window)
		if err == nil && got[hw.Lock].Pattern == want[0] && got[hw.Alert].Pattern == want[1] && got[hw.Status].Pattern == want[2] {
			s.Log.Debug("lamps", "lock", got[hw.Lock], "alert", got[hw.Alert], "status", got[hw.Status])
			return nil
		}
		if err == nil {
			last = got
		} else {
			lastErr = err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("lamps never showed %v: last read LOCK %v, ALERT %v, STATUS %v (last error: %v)",
				want, last[hw.Lock], last[hw.Alert], last[hw.Status], lastErr)
		}
	}
}

// heard polls what the headset played until score reaches its least.
func (s *Scenario) heard(ctx context.Context, what string, score func(pcm []int16, rate int) (got, least float64)) error {
	best, least := 0.0, 0.0
	var n int
	for {
		pcm, rate, err := s.Rig.Heard(ctx)
		if err == nil && rate > 0 {
			var got float64
			got, least = score(pcm, rate)
			best, n = max(best, got), len(pcm)
			if got >= least {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not heard in the headset: best score %.3f (want %.3f) over %d samples (last error %v)", what, best, least, n, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
