package audio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/jonboulle/clockwork"
)

// File is a device made of two WAV files in a directory, for tests and
// make run: capture reads DIR/in.wav, playback writes DIR/out.wav. Capture
// is paced by a clock like the null device's.
type File struct {
	dir  string
	opts FileOptions

	mu   sync.Mutex
	open *fileStream
}

// FileOptions are the settings of a file device.
type FileOptions struct {
	// Loop plays in.wav again from its start after its end; without it
	// capture is silence after the end (and when in.wav is missing).
	Loop bool
	// Clock paces capture; nil means the real clock.
	Clock clockwork.Clock
}

// NewFile returns the file device on dir, which must exist.
func NewFile(dir string, o FileOptions) (*File, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("audio: file device: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("audio: file device: %s is not a directory", dir)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	return &File{dir: dir, opts: o}, nil
}

// Name implements Device.
func (f *File) Name() string { return "file:" + f.dir }

// Open implements Device: it reads in.wav (converting it to rate if it has
// another; 16-bit mono PCM only) and creates out.wav afresh at rate.
func (f *File) Open(rate int) (Stream, error) {
	if err := checkRate(rate); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.open != nil {
		return nil, ErrBusy
	}
	in, err := loadCapture(filepath.Join(f.dir, "in.wav"), rate)
	if err != nil {
		return nil, err
	}
	out, err := CreateWAV(filepath.Join(f.dir, "out.wav"), rate)
	if err != nil {
		return nil, fmt.Errorf("audio: file device: %w", err)
	}
	s := &fileStream{dev: f, rate: rate, in: in, loop: f.opts.Loop, out: out,
		pace: newPacer(f.opts.Clock), done: make(chan struct{})}
	f.open = s
	return s, nil
}

// loadCapture reads path's samples at rate; a missing file is no samples.
func loadCapture(path string, rate int) ([]int16, error) {
	pcm, r, err := ReadWAV(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audio: file device: %w", err)
	}
	if r == rate {
		return pcm, nil
	}
	rs, err := NewResampler(r, rate)
	if err != nil {
		return nil, fmt.Errorf("audio: file device: %s: %w", path, err)
	}
	// Pad with the filter's delay in zeros, then drop that many outputs,
	// so the file's sound starts at its first sample.
	delay := int(rs.Delay() + 0.5)
	want := len(pcm) * rate / r
	tail := make([]int16, (delay+2)*r/rate+2)
	out := make([]int16, 0, rs.MaxOut(len(pcm))+rs.MaxOut(len(tail)))
	out = rs.Process(out, pcm)
	out = rs.Process(out, tail)
	return out[delay:min(delay+want, len(out))], nil
}

// Close implements Device: it closes the open stream, if any.
func (f *File) Close() error {
	f.mu.Lock()
	s := f.open
	f.mu.Unlock()
	if s != nil {
		return s.Close()
	}
	return nil
}

type fileStream struct {
	dev  *File
	rate int

	readMu sync.Mutex // guards the capture side: in, pos, pace
	in     []int16
	pos    int
	loop   bool
	pace   pacer

	writeMu sync.Mutex // guards out
	out     *WAVWriter

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

func (s *fileStream) Read(frame []int16) error {
	if err := checkFrame(frame, s.rate); err != nil {
		return err
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if !s.pace.wait(s.done) {
		return ErrClosed
	}
	for n := 0; n < len(frame); {
		if s.pos >= len(s.in) {
			if !s.loop || len(s.in) == 0 {
				clear(frame[n:])
				break
			}
			s.pos = 0
		}
		c := copy(frame[n:], s.in[s.pos:])
		s.pos += c
		n += c
	}
	return nil
}

// Write appends frame to out.wav. A file keeps up with any writer, so
// nothing is ever dropped.
func (s *fileStream) Write(frame []int16) error {
	if err := checkFrame(frame, s.rate); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.out == nil {
		return ErrClosed
	}
	return s.out.Write(frame)
}

func (s *fileStream) Stats() Stats { return Stats{} }

// Close finalizes out.wav's header and frees the device for the next Open.
func (s *fileStream) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.writeMu.Lock()
		s.closeErr = s.out.Close()
		s.out = nil
		s.writeMu.Unlock()
		s.dev.mu.Lock()
		if s.dev.open == s {
			s.dev.open = nil
		}
		s.dev.mu.Unlock()
	})
	return s.closeErr
}
