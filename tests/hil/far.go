package hil

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw/rig"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// LinphoneFar is rig.Far played by linphonec (bzrtp, ZRTP mandatory),
// calling the phone's user at host through the registrar both are on.
type LinphoneFar struct {
	T      testing.TB
	Phone  *linphone.Phone
	Target string // sip:alice@127.0.0.1
	mark   int
}

var _ rig.Far = (*LinphoneFar)(nil)

// wait is how long a linphonec step may take; the scenario's own step
// deadline is the outer bound.
const wait = 20 * time.Second

func (f *LinphoneFar) within(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Second)
	}
	return wait
}

// Call implements rig.Far.
func (f *LinphoneFar) Call(ctx context.Context) error {
	f.mark = f.Phone.Mark()
	f.Phone.Send(f.T, "call "+f.Target)
	return nil
}

// SAS implements rig.Far.
func (f *LinphoneFar) SAS(ctx context.Context) (string, error) {
	return f.Phone.WaitSAS(f.T, f.mark, f.within(ctx)), nil
}

// Talk implements rig.Far: linphonec plays the far tone and records the
// call. Its recorder must start after ZRTP switched the call to SRTP (it
// records silence across a stream restart), which SAS has waited for.
func (f *LinphoneFar) Talk(ctx context.Context) error {
	tone := filepath.Join(f.Phone.Dir, "far.wav")
	w, err := audio.CreateWAV(tone, 8000)
	if err != nil {
		return err
	}
	if err := w.Write(rig.Tone(rig.FarTone, 8000, 30)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	f.Phone.Play(f.T, tone)
	f.Phone.Record(f.T, filepath.Join(f.Phone.Dir, "heard.wav"))
	return nil
}

// Ended implements rig.Far.
func (f *LinphoneFar) Ended(ctx context.Context, declined bool) error {
	want := "ended"
	if declined {
		want = "ended (Call declined)"
	}
	f.Phone.WaitForAfter(f.T, f.mark, want, f.within(ctx))
	return nil
}

// Heard implements rig.Far.
func (f *LinphoneFar) Heard(ctx context.Context) ([]int16, int, error) {
	pcm, rate, err := audio.ReadWAV(filepath.Join(f.Phone.Dir, "heard.wav"))
	if err != nil {
		return nil, 0, fmt.Errorf("linphonec's recording: %w", err)
	}
	return pcm, rate, nil
}
