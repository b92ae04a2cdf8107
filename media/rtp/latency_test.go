package rtp_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/media/rtp"
)

// BenchmarkOneWayLatency measures the appliance's own share of a call's
// delay, with the audio path the appliance uses: the file audio device
// (wrapped to see its frames), the headset pump, an rtp.Stream, and a far
// end on a loopback UDP socket that sends 20 ms packets on its own clock.
//
//   - capture-ms: from the capture callback (the device's Read returning
//     a frame) carrying a loud burst to the far end receiving the packet
//     that holds it;
//   - playback-ms: from the far end sending a packet holding a burst to
//     the playback callback (the device's Write) getting the frame.
//
// Each iteration is one burst each way, so it runs in real time (about
// 0.15 s per iteration): run it with -benchtime=Nx. The figures are
// medians and maxima over the iterations, reported, not asserted.
func BenchmarkOneWayLatency(b *testing.B) {
	for _, f := range []codec.Format{codec.PCMU, codec.G722} {
		for _, phase := range []time.Duration{2, 7, 12, 17} {
			phase *= time.Millisecond
			b.Run(fmt.Sprintf("%s/start=%v", f.Name, phase), func(b *testing.B) { oneWayLatency(b, f, phase) })
		}
	}
}

// oneWayLatency runs one measurement; the far end's 20 ms clock starts
// phase after the headset is attached. A received packet waits for the
// headset's next 20 ms tick and behind what the jitter buffer holds, so
// the phase between the two clocks (fixed for a call, arbitrary between
// calls) moves playback-ms by up to a frame or two. The device opens
// asynchronously, so phase spreads that phase between runs; it does not
// set it.
func oneWayLatency(b *testing.B, f codec.Format, phase time.Duration) {
	dir := b.TempDir()
	file, err := audio.NewFile(dir, audio.FileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	dev := &markDevice{Device: file, played: make(chan time.Time, 1)}
	defer dev.Close()

	far, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer far.Close()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	st, err := rtp.NewStream(rtp.Config{Conn: conn, Remote: far.LocalAddr().(*net.UDPAddr).AddrPort(), Format: f, AllowClear: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	local := st.LocalAddr()

	ear := headset.New(dev, nil)
	defer ear.Close()
	detach := ear.Attach(callAudio{st, f.SampleRate})
	defer detach()
	time.Sleep(phase)

	fe := newFarEnd(b, far, local, f)
	defer fe.stop()
	time.Sleep(300 * time.Millisecond) // the jitter buffer settles on the far end's pace

	var capture, playback []time.Duration
	b.ResetTimer()
	for range b.N {
		// Capture -> wire.
		dev.inject.Store(true)
		select {
		case heard := <-fe.heard:
			capture = append(capture, heard.Sub(dev.injectedAt()))
		case <-time.After(2 * time.Second):
			b.Fatal("the burst never reached the far end")
		}
		// Wire -> playback.
		drain(dev.played)
		sent := fe.sendBurst()
		select {
		case played := <-dev.played:
			playback = append(playback, played.Sub(<-sent))
		case <-time.After(2 * time.Second):
			b.Fatal("the far end's burst was never played")
		}
		time.Sleep(100 * time.Millisecond) // let concealment of the burst fade
	}
	b.StopTimer()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(median(capture)), "capture-ms")
	b.ReportMetric(ms(slicesMax(capture)), "capture-max-ms")
	b.ReportMetric(ms(median(playback)), "playback-ms")
	b.ReportMetric(ms(slicesMax(playback)), "playback-max-ms")
	b.ReportMetric(ms(median(capture)+median(playback)), "total-ms")
}

// callAudio is an rtp.Stream as the headset wants it.
type callAudio struct {
	*rtp.Stream
	rate int
}

func (c callAudio) Rate() int { return c.rate }

// loud is the burst's amplitude; a frame counts as the burst when its mean
// magnitude passes loud/4 (silence, coded and decoded, stays near 0).
const loud = 16000

func isBurst(pcm []int16) bool {
	if len(pcm) == 0 {
		return false
	}
	var sum int
	for _, x := range pcm {
		sum += max(int(x), -int(x))
	}
	return sum/len(pcm) > loud/4
}

// burst fills pcm with a square wave at 1 kHz (in sample-rate terms).
func burst(pcm []int16, rate int) {
	half := rate / 2000
	for i := range pcm {
		if (i/half)%2 == 0 {
			pcm[i] = loud
		} else {
			pcm[i] = -loud
		}
	}
}

// markDevice wraps a Device: its streams replace one captured frame with
// a burst on request, noting when, and note when a burst is played.
type markDevice struct {
	audio.Device
	mu       sync.Mutex
	inject   atomic.Bool
	injected time.Time
	played   chan time.Time
}

func (d *markDevice) injectedAt() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.injected
}

func (d *markDevice) Open(rate int) (audio.Stream, error) {
	s, err := d.Device.Open(rate)
	if err != nil {
		return nil, err
	}
	return &markStream{Stream: s, d: d, rate: rate}, nil
}

type markStream struct {
	audio.Stream
	d    *markDevice
	rate int
}

func (s *markStream) Read(frame []int16) error {
	if err := s.Stream.Read(frame); err != nil {
		return err
	}
	if s.d.inject.Swap(false) {
		burst(frame, s.rate)
		s.d.mu.Lock()
		s.d.injected = time.Now()
		s.d.mu.Unlock()
	}
	return nil
}

func (s *markStream) Write(frame []int16) error {
	if isBurst(frame) {
		select {
		case s.d.played <- time.Now():
		default:
		}
	}
	return s.Stream.Write(frame)
}

// farEnd is the other phone: it sends a packet every 20 ms on its own
// ticker (silence, or a burst when asked) and reports when a packet it
// receives holds a burst.
type farEnd struct {
	conn   *net.UDPConn
	heard  chan time.Time
	burstq chan chan time.Time
	done   chan struct{}
	wg     sync.WaitGroup
}

func newFarEnd(b *testing.B, conn *net.UDPConn, to netip.AddrPort, f codec.Format) *farEnd {
	fe := &farEnd{conn: conn, heard: make(chan time.Time, 1), burstq: make(chan chan time.Time, 1), done: make(chan struct{})}
	enc, err := codec.New(f)
	if err != nil {
		b.Fatal(err)
	}
	dec, err := codec.New(f)
	if err != nil {
		b.Fatal(err)
	}
	n := f.Samples(20 * time.Millisecond)
	fe.wg.Go(func() {
		buf := make([]byte, 1500)
		pcm := make([]int16, 0, n)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			now := time.Now()
			if k <= 12 || buf[1]&0x7f != f.PayloadType {
				continue
			}
			pcm = dec.Decode(pcm[:0], buf[12:k])
			if isBurst(pcm) {
				select {
				case fe.heard <- now:
				default:
				}
			}
		}
	})
	fe.wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		silence, loudPCM := make([]int16, n), make([]int16, n)
		burst(loudPCM, f.SampleRate)
		pkt := make([]byte, 12, 12+f.PayloadBytes(20*time.Millisecond))
		var seq uint16
		var ts uint32
		for {
			select {
			case <-fe.done:
				return
			case <-tick.C:
			}
			pcm := silence
			var report chan time.Time
			select {
			case report = <-fe.burstq:
				pcm = loudPCM
			default:
			}
			pkt = pkt[:12]
			pkt[0], pkt[1] = 0x80, f.PayloadType
			binary.BigEndian.PutUint16(pkt[2:], seq)
			binary.BigEndian.PutUint32(pkt[4:], ts)
			binary.BigEndian.PutUint32(pkt[8:], 0x5eed)
			pkt = enc.Encode(pkt, pcm)
			conn.WriteToUDPAddrPort(pkt, to)
			if report != nil {
				report <- time.Now()
			}
			seq++
			ts += f.ClockTicks(20 * time.Millisecond)
		}
	})
	return fe
}

// sendBurst makes the next packet a burst; the channel gets its send time.
func (fe *farEnd) sendBurst() <-chan time.Time {
	c := make(chan time.Time, 1)
	fe.burstq <- c
	return c
}

func (fe *farEnd) stop() {
	close(fe.done)
	fe.conn.Close()
	fe.wg.Wait()
}

func drain(c chan time.Time) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func slicesMax(d []time.Duration) time.Duration {
	var m time.Duration
	for _, x := range d {
		m = max(m, x)
	}
	return m
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
