package rig

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The GPIO character device's v2 uAPI (linux/gpio.h), spoken directly: a
// rig needs each edge's kernel timestamp, which periph.io's gpioioctl reads
// but does not return.

const (
	gpioMaxName    = 32
	gpioLinesMax   = 64
	gpioAttrsMax   = 10
	lineFlagInput  = 1 << 2
	lineFlagOutput = 1 << 3
	lineFlagRising = 1 << 4
	lineFlagFall   = 1 << 5
	lineFlagOpenDr = 1 << 6
	lineFlagPullUp = 1 << 8
	attrOutputVals = 2
	eventRising    = 1
)

type chipInfo struct {
	Name, Label [gpioMaxName]byte
	Lines       uint32
}

type lineAttribute struct {
	ID      uint32
	Padding uint32
	Value   uint64 // flags, values or debounce_period_us
}

type lineConfigAttribute struct {
	Attr lineAttribute
	Mask uint64
}

type lineConfig struct {
	Flags    uint64
	NumAttrs uint32
	Padding  [5]uint32
	Attrs    [gpioAttrsMax]lineConfigAttribute
}

type lineRequest struct {
	Offsets         [gpioLinesMax]uint32
	Consumer        [gpioMaxName]byte
	Config          lineConfig
	NumLines        uint32
	EventBufferSize uint32
	Padding         [5]uint32
	Fd              int32
}

type lineInfo struct {
	Name, Consumer [gpioMaxName]byte
	Offset         uint32
	NumAttrs       uint32
	Flags          uint64
	Attrs          [gpioAttrsMax]lineAttribute
	Padding        [4]uint32
}

type lineValues struct {
	Bits, Mask uint64
}

// lineEvent is struct gpio_v2_line_event, 48 bytes.
type lineEvent struct {
	TimestampNs uint64
	ID          uint32
	Offset      uint32
	Seqno       uint32
	LineSeqno   uint32
	Padding     [6]uint32
}

func iowr(nr, size uintptr) uintptr { return 3<<30 | size<<16 | 0xB4<<8 | nr }
func ior(nr, size uintptr) uintptr  { return 2<<30 | size<<16 | 0xB4<<8 | nr }

var (
	ioctlChipInfo  = ior(0x01, unsafe.Sizeof(chipInfo{}))
	ioctlLineInfo  = iowr(0x05, unsafe.Sizeof(lineInfo{}))
	ioctlGetLine   = iowr(0x07, unsafe.Sizeof(lineRequest{}))
	ioctlGetValues = iowr(0x0E, unsafe.Sizeof(lineValues{}))
	ioctlSetValues = iowr(0x0F, unsafe.Sizeof(lineValues{}))
)

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}

func cstring(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// linePlace is where a named line lives.
type linePlace struct {
	chip   string
	offset uint32
}

// findLines looks every name up on every /dev/gpiochip*.
func findLines(names []string) (map[string]linePlace, error) {
	chips, _ := filepath.Glob("/dev/gpiochip*")
	found := map[string]linePlace{}
	for _, path := range chips {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var ci chipInfo
		if err := ioctl(fd, ioctlChipInfo, unsafe.Pointer(&ci)); err == nil {
			for off := uint32(0); off < ci.Lines; off++ {
				li := lineInfo{Offset: off}
				if ioctl(fd, ioctlLineInfo, unsafe.Pointer(&li)) != nil {
					continue
				}
				n := cstring(li.Name[:])
				if _, dup := found[n]; !dup {
					found[n] = linePlace{path, off}
				}
			}
		}
		unix.Close(fd)
	}
	var missing []string
	out := map[string]linePlace{}
	for _, n := range names {
		p, ok := found[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		out[n] = p
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("GPIO lines %s not found on %d chips (%v): check the names with gpioinfo", strings.Join(missing, ", "), len(chips), chips)
	}
	return out, nil
}

// requestLine asks the kernel for one line with flags and returns the
// request's file descriptor.
func requestLine(p linePlace, flags uint64, high bool) (int, error) {
	fd, err := unix.Open(p.chip, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(fd)
	var req lineRequest
	req.Offsets[0] = p.offset
	req.NumLines = 1
	copy(req.Consumer[:], "padlock-rig")
	req.Config.Flags = flags
	if flags&lineFlagOutput != 0 {
		req.Config.NumAttrs = 1
		req.Config.Attrs[0] = lineConfigAttribute{Attr: lineAttribute{ID: attrOutputVals, Value: b2u(high)}, Mask: 1}
	}
	if err := ioctl(fd, ioctlGetLine, unsafe.Pointer(&req)); err != nil {
		return -1, fmt.Errorf("requesting %s line %d: %w", p.chip, p.offset, err)
	}
	return int(req.Fd), nil
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Lines is a rig's GPIO side: lines wired to the phone's buttons (driven
// open-drain: low presses, released floats up to the phone's pull-up) and
// to its lamps (inputs with edge events, timestamped by the kernel).
type Lines struct {
	buttons map[string]int // line name -> request fd
	lamps   map[string]*lampLine
}

type lampLine struct {
	fd   int
	file *os.File
}

// OpenLines requests the named lines: buttons as open-drain outputs left
// released, lamps as inputs with both edges.
func OpenLines(buttons, lamps []string) (*Lines, error) {
	places, err := findLines(append(append([]string(nil), buttons...), lamps...))
	if err != nil {
		return nil, err
	}
	l := &Lines{buttons: map[string]int{}, lamps: map[string]*lampLine{}}
	for _, n := range buttons {
		fd, err := requestLine(places[n], lineFlagOutput|lineFlagOpenDr, true)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("button line %s: %w", n, err)
		}
		l.buttons[n] = fd
	}
	for _, n := range lamps {
		fd, err := requestLine(places[n], lineFlagInput|lineFlagRising|lineFlagFall, false)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("lamp line %s: %w", n, err)
		}
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(fd)
			l.Close()
			return nil, err
		}
		l.lamps[n] = &lampLine{fd: fd, file: os.NewFile(uintptr(fd), "gpio-"+n)}
	}
	return l, nil
}

// Close gives every line back.
func (l *Lines) Close() error {
	for _, fd := range l.buttons {
		unix.Close(fd)
	}
	for _, ll := range l.lamps {
		ll.file.Close()
	}
	return nil
}

// Drive pulls button line name low (pressed) or lets it go (released).
func (l *Lines) Drive(name string, pressed bool) error {
	fd, ok := l.buttons[name]
	if !ok {
		return fmt.Errorf("no button line %s", name)
	}
	v := lineValues{Bits: b2u(!pressed), Mask: 1}
	return ioctl(fd, ioctlSetValues, unsafe.Pointer(&v))
}

// Level reads lamp line name now.
func (l *Lines) Level(name string) (bool, error) {
	ll, ok := l.lamps[name]
	if !ok {
		return false, fmt.Errorf("no lamp line %s", name)
	}
	v := lineValues{Mask: 1}
	if err := ioctl(ll.fd, ioctlGetValues, unsafe.Pointer(&v)); err != nil {
		return false, err
	}
	return v.Bits&1 == 1, nil
}

// Watch reads lamp line name's level, then its edge events until end
// (CLOCK_MONOTONIC, the kernel's default event clock), and returns them
// relative to the moment the level was read.
func (l *Lines) Watch(name string, end time.Time) (bool, []Edge, error) {
	ll, ok := l.lamps[name]
	if !ok {
		return false, nil, fmt.Errorf("no lamp line %s", name)
	}
	// Events queued before the window are not the window's.
	drain(ll.file)
	initial, err := l.Level(name)
	if err != nil {
		return false, nil, err
	}
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	start := uint64(ts.Nano())
	var edges []Edge
	buf := make([]byte, 48*16)
	for {
		ll.file.SetReadDeadline(end)
		n, err := ll.file.Read(buf)
		for i := 0; i+48 <= n; i += 48 {
			ev := lineEvent{TimestampNs: binary.LittleEndian.Uint64(buf[i:]), ID: binary.LittleEndian.Uint32(buf[i+8:])}
			if ev.TimestampNs < start {
				continue
			}
			edges = append(edges, Edge{At: time.Duration(ev.TimestampNs - start), High: ev.ID == eventRising})
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return initial, edges, nil
		}
		if err != nil {
			return initial, edges, fmt.Errorf("lamp line %s events: %w", name, err)
		}
	}
}

// drain discards the events already queued on f.
func drain(f *os.File) {
	buf := make([]byte, 48*16)
	for {
		f.SetReadDeadline(time.Now().Add(time.Millisecond))
		if n, err := f.Read(buf); err != nil || n == 0 {
			return
		}
	}
}
