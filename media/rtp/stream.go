package rtp

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/padlock-phone/padlock/media/codec"
)

// DefaultRTCPInterval is the RTCP report interval (RFC 3550 section
// 6.2: 5 s minimum, randomized to 0.5..1.5 times).
const DefaultRTCPInterval = 5 * time.Second

// Config describes one call leg's media.
type Config struct {
	// Conn is the leg's UDP socket (or an ICE agent's selected pair, see
	// PacketConn); the Stream owns it from now on and closes it in Close.
	Conn PacketConn
	// Remote is where media goes, from the SDP answer or offer. Packets
	// from any other address are dropped.
	Remote netip.AddrPort
	// RTCPConn, if set, is a second socket for RTCP, for a peer that did
	// not agree to rtcp-mux (RFC 5761: no a=rtcp-mux in its SDP). Then
	// RTCP goes to RemoteRTCP, or to Remote's port + 1 if that is zero
	// (RFC 3550 section 11), and is taken on RTCPConn only from there.
	// The Stream owns and closes it.
	RTCPConn *net.UDPConn
	// RemoteRTCP is the peer's RTCP address from an a=rtcp attribute
	// (RFC 3605), when RTCP is not muxed.
	RemoteRTCP netip.AddrPort
	// Format is the negotiated audio format.
	Format codec.Format
	// EventPT is the negotiated telephone-event payload type; zero means
	// DefaultEventPT.
	EventPT uint8
	// AllowClear lets audio and digits flow in clear before SRTP keys
	// are set: the require_encrypted_calls setting is off. By default
	// (false) nothing is sent and nothing received is played until
	// EnableSRTP, or until Stream.AllowClear(true) when the user chooses
	// to go on with a call whose ZRTP failed. The safe choice is the
	// zero value.
	AllowClear bool
	// The callbacks run on the stream's reading goroutine: they should
	// hand their news to the phone's event loop and return, and must not
	// call Close (it waits for that goroutine).
	//
	// OnZRTP gets every ZRTP packet from the socket; pkt is only valid
	// during the call.
	OnZRTP func(pkt []byte)
	// OnDTMF gets each digit received.
	OnDTMF func(DTMF)
	// OnSRTP is called once, for the first RTP packet that passes SRTP
	// authentication: proof that the peer has the keys (for a ZRTP
	// initiator, that the responder has its Confirm2).
	OnSRTP func()
	// OnReport gets each RTCP report about our stream.
	OnReport func(RemoteReport)
	// OnBye is called when the far end sends an RTCP BYE: it has left.
	// Before SRTP anyone on the path could forge one: a hint for the
	// call's state, never a reason to drop security.
	OnBye func()
	// RTCPInterval is the mean report interval: zero means
	// DefaultRTCPInterval, negative means none (SendReport only).
	RTCPInterval time.Duration
	// Now and Rand replace the clock and crypto/rand (for tests).
	Now  func() time.Time
	Rand io.Reader
}

// PacketConn is the datagram socket a Stream reads and writes: a
// *net.UDPConn for SIP calls, or the pair an ICE agent selected for a
// Jingle call (which has one peer address, whatever addr says).
type PacketConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	LocalAddr() net.Addr
	Close() error
}

// Stream is one call leg's media over one UDP socket: RTP and RTCP muxed,
// ZRTP handed to OnZRTP. The audio device calls WriteFrame and ReadFrame
// every 20 ms from its own goroutines; the Stream reads the socket on a
// goroutine of its own.
type Stream struct {
	conn       PacketConn
	rtcpConn   *net.UDPConn // nil when RTCP is muxed on conn
	remote     atomic.Pointer[netip.AddrPort]
	remoteRTCP atomic.Pointer[netip.AddrPort]
	format     codec.Format
	now        func() time.Time
	onZRTP     func([]byte)
	onDTMF     func(DTMF)
	onSRTP     func()
	onReport   func(RemoteReport)
	onBye      func()
	interval   time.Duration
	jitterRand *mrand.Rand

	allowClear atomic.Bool

	sendMu  sync.Mutex
	snd     *Sender
	sess    *session // nil until keys are set; set under both locks
	sendBuf [maxPayload + 64]byte
	encBuf  [maxPayload + 128]byte

	recvMu  sync.Mutex
	rcv     *Receiver
	rep     reporter
	decBuf  [maxPayload + 128]byte
	rtcpBuf [maxPayload + 128]byte
	digits  []DTMF // received while holding recvMu, delivered after
	srtpIn  bool   // an SRTP packet passed authentication

	dropClear, dropAuth, dropForeign, dropUnknown, zrtpIn atomic.Uint64

	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// NewStream makes the stream's sender (random SSRC, sequence number and
// timestamp) and receiver, and starts reading the socket and, unless
// disabled, sending RTCP reports.
func NewStream(cfg Config) (*Stream, error) {
	if cfg.Conn == nil || !cfg.Remote.IsValid() {
		return nil, errors.New("rtp: a stream needs a socket and a remote address")
	}
	enc, err := codec.New(cfg.Format)
	if err != nil {
		return nil, err
	}
	dec, _ := codec.New(cfg.Format)
	if cfg.EventPT == 0 {
		cfg.EventPT = DefaultEventPT
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.RTCPInterval == 0 {
		cfg.RTCPInterval = DefaultRTCPInterval
	}
	var r [32]byte
	if _, err := io.ReadFull(cfg.Rand, r[:]); err != nil {
		return nil, fmt.Errorf("rtp: reading randomness for SSRC: %w", err)
	}
	s := &Stream{
		conn:     cfg.Conn,
		format:   cfg.Format,
		now:      cfg.Now,
		onZRTP:   cfg.OnZRTP,
		onDTMF:   cfg.OnDTMF,
		onSRTP:   cfg.OnSRTP,
		onReport: cfg.OnReport,
		onBye:    cfg.OnBye,
		interval: cfg.RTCPInterval,
		jitterRand: mrand.New(mrand.NewPCG(binary.BigEndian.Uint64(r[10:18]),
			binary.BigEndian.Uint64(r[18:26]))),
		snd: NewSender(cfg.Format, enc, cfg.EventPT,
			binary.BigEndian.Uint32(r[0:4]), binary.BigEndian.Uint16(r[4:6]), binary.BigEndian.Uint32(r[6:10])),
		rcv:  NewReceiver(cfg.Format, dec, cfg.EventPT),
		done: make(chan struct{}),
	}
	s.rtcpConn = cfg.RTCPConn
	s.SetRemote(cfg.Remote)
	if cfg.RemoteRTCP.IsValid() {
		s.SetRemoteRTCP(cfg.RemoteRTCP)
	}
	s.rep.cname = fmt.Sprintf("padlock-%x", r[26:32])
	s.allowClear.Store(cfg.AllowClear)
	s.rcv.OnDTMF = func(d DTMF) { s.digits = append(s.digits, d) }
	s.wg.Add(1)
	go s.readLoop(s.conn, s.Remote, false)
	if s.rtcpConn != nil {
		s.wg.Add(1)
		go s.readLoop(s.rtcpConn, s.RemoteRTCP, true)
	}
	if s.interval > 0 {
		s.wg.Add(1)
		go s.reportLoop()
	}
	return s, nil
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// SetRemote changes where media goes and whom it is accepted from, as
// when a re-INVITE moves the call. Without rtcp-mux, RTCP moves to its
// port + 1 (SetRemoteRTCP after this for an a=rtcp attribute).
func (s *Stream) SetRemote(a netip.AddrPort) {
	a = unmap(a)
	s.remote.Store(&a)
	r := a
	if s.rtcpConn != nil {
		r = netip.AddrPortFrom(a.Addr(), a.Port()+1)
	}
	s.remoteRTCP.Store(&r)
}

// SetRemoteRTCP sets where RTCP goes and is accepted from, when it is
// not muxed with RTP.
func (s *Stream) SetRemoteRTCP(a netip.AddrPort) {
	a = unmap(a)
	s.remoteRTCP.Store(&a)
}

// RemoteRTCP is where RTCP goes.
func (s *Stream) RemoteRTCP() netip.AddrPort { return *s.remoteRTCP.Load() }

// Remote is where media goes.
func (s *Stream) Remote() netip.AddrPort { return *s.remote.Load() }

// LocalAddr is the socket's address.
func (s *Stream) LocalAddr() netip.AddrPort {
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// SSRC is our synchronization source.
func (s *Stream) SSRC() uint32 { return s.snd.SSRC() }

// FrameSamples is the size of the frames WriteFrame takes and ReadFrame
// gives.
func (s *Stream) FrameSamples() int { return s.snd.FrameSamples() }

// AllowClear lets clear media flow before (or without) SRTP: the user
// chose to continue a call whose ZRTP failed, or the policy is off.
func (s *Stream) AllowClear(ok bool) { s.allowClear.Store(ok) }

// Secure reports whether SRTP is on in both directions.
func (s *Stream) Secure() bool {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	return s.sess != nil && s.sess.out != nil
}

// EnableSRTP switches the stream to SRTP with keys from ZRTP. From now on
// every packet sent is protected and every clear one received is dropped.
// After EnableSRTPReceive, k must be the same keys: the receiving side
// carries on as it was.
func (s *Stream) EnableSRTP(k Keys) error { return s.setKeys(k, true) }

// EnableSRTPReceive switches only the incoming side to SRTP: from now on
// clear packets received are dropped, while what we send stays as it was
// until EnableSRTP. ZRTP turns SRTP on one direction at a time: the
// initiator must be ready to receive SRTP once it has sent Confirm2, but
// sends SRTP only after Conf2ACK; the responder turns on both directions
// when it sends Conf2ACK. So the initiator calls EnableSRTPReceive on
// sending Confirm2 and EnableSRTP on Conf2ACK; otherwise the responder's
// first SRTP packets could be played as clear audio (noise).
func (s *Stream) EnableSRTPReceive(k Keys) error { return s.setKeys(k, false) }

func (s *Stream) setKeys(k Keys, send bool) error {
	sess, err := newSession(k)
	if err != nil {
		return err
	}
	if !send {
		sess.out = nil
	}
	s.sendMu.Lock()
	s.recvMu.Lock()
	if send && s.sess != nil && s.sess.out == nil {
		// The initiator's Conf2ACK after EnableSRTPReceive: the same
		// keys; keep the receiving context, its replay window and
		// rollover counter.
		sess.in, sess.inHdr = s.sess.in, s.sess.inHdr
	}
	s.sess = sess
	s.recvMu.Unlock()
	s.sendMu.Unlock()
	return nil
}

// WriteFrame sends 20 ms of audio (FrameSamples samples), or the next
// packet of a queued digit instead. A nil pcm sends nothing (mute).
func (s *Stream) WriteFrame(pcm []int16) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if !s.sendSecure() && !s.allowClear.Load() {
		s.snd.Skip()
		return nil
	}
	pkt, err := s.snd.Frame(s.sendBuf[:0], pcm, s.now())
	if err != nil || len(pkt) == 0 {
		return err
	}
	return s.send(pkt, false)
}

// sendSecure reports whether outgoing SRTP is on. Holds sendMu.
func (s *Stream) sendSecure() bool { return s.sess != nil && s.sess.out != nil }

// send writes a clear packet, protected if SRTP is on. Holds sendMu.
func (s *Stream) send(pkt []byte, rtcp bool) error {
	if s.sendSecure() {
		var err error
		if rtcp {
			pkt, err = s.sess.protectRTCP(s.encBuf[:0], pkt)
		} else {
			pkt, err = s.sess.protectRTP(s.encBuf[:0], pkt)
		}
		if err != nil {
			return fmt.Errorf("rtp: SRTP protect: %w", err)
		}
	}
	conn, remote := s.conn, s.Remote()
	if rtcp && s.rtcpConn != nil {
		conn, remote = s.rtcpConn, s.RemoteRTCP()
	}
	if _, err := conn.WriteToUDPAddrPort(pkt, remote); err != nil {
		return fmt.Errorf("rtp: sending to %s: %w", remote, err)
	}
	return nil
}

// ReadFrame appends the next 20 ms of received audio to dst: silence
// while nothing may or can be played.
func (s *Stream) ReadFrame(dst []int16) []int16 {
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	return s.rcv.Pull(dst, s.now())
}

// SendDTMF queues digits (0-9, *, #, A-D) held for each; they go out as
// RFC 4733 telephone-events in place of the next frames of audio.
func (s *Stream) SendDTMF(digits string, each time.Duration) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	return s.snd.SendDTMF(digits, each)
}

// SendZRTP sends a packet from the ZRTP engine as it is.
func (s *Stream) SendZRTP(pkt []byte) error {
	if Classify(pkt) != KindZRTP {
		return errors.New("rtp: SendZRTP given a packet that is not ZRTP")
	}
	remote := s.Remote()
	if _, err := s.conn.WriteToUDPAddrPort(pkt, remote); err != nil {
		return fmt.Errorf("rtp: sending ZRTP to %s: %w", remote, err)
	}
	return nil
}

// SendReport sends an RTCP report now.
func (s *Stream) SendReport() error { return s.report(false) }

func (s *Stream) report(bye bool) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.recvMu.Lock()
	pkt, err := s.rep.build(s.now(), s.snd, s.rcv, bye)
	s.recvMu.Unlock()
	if err != nil {
		return err
	}
	return s.send(pkt, true)
}

// Close sends an RTCP BYE, stops the stream's goroutines and closes the
// socket.
func (s *Stream) Close() error {
	var err error
	s.once.Do(func() {
		_ = s.report(true) // best effort: the far end times out otherwise
		close(s.done)
		err = s.conn.Close()
		if s.rtcpConn != nil {
			s.rtcpConn.Close()
		}
		s.wg.Wait()
	})
	return err
}

func (s *Stream) reportLoop() {
	defer s.wg.Done()
	for {
		// RFC 3550 section 6.3.1: randomize to 0.5..1.5 times the interval.
		d := s.interval/2 + time.Duration(s.jitterRand.Int64N(int64(s.interval)))
		t := time.NewTimer(d)
		select {
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
			_ = s.SendReport() // a failed report is retried at the next tick
		}
	}
}

// readLoop reads one socket, taking datagrams only from the address
// remote returns, and only RTCP if rtcpOnly.
func (s *Stream) readLoop(conn PacketConn, remote func() netip.AddrPort, rtcpOnly bool) {
	defer s.wg.Done()
	var buf [2048]byte
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf[:])
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if unmap(from) != remote() {
			s.dropForeign.Add(1)
			continue
		}
		if rtcpOnly && Classify(buf[:n]) != KindRTCP {
			s.dropUnknown.Add(1)
			continue
		}
		s.handle(buf[:n], s.now())
	}
}

// handle routes one datagram from the remote.
func (s *Stream) handle(pkt []byte, now time.Time) {
	switch Classify(pkt) {
	case KindZRTP:
		s.zrtpIn.Add(1)
		if s.onZRTP != nil {
			s.onZRTP(pkt)
		}
	case KindRTP:
		s.handleRTP(pkt, now)
	case KindRTCP:
		s.handleRTCP(pkt, now)
	default:
		s.dropUnknown.Add(1)
	}
}

func (s *Stream) handleRTP(pkt []byte, now time.Time) {
	s.recvMu.Lock()
	firstSRTP := false
	if s.sess != nil {
		clear, err := s.sess.unprotectRTP(s.decBuf[:0], pkt)
		if err != nil {
			s.recvMu.Unlock()
			s.dropAuth.Add(1)
			return
		}
		pkt = clear
		firstSRTP, s.srtpIn = !s.srtpIn, true
	} else if !s.allowClear.Load() {
		s.recvMu.Unlock()
		s.dropClear.Add(1)
		return
	}
	_ = s.rcv.Packet(pkt, now) // malformed or foreign payload types are counted
	var digits []DTMF
	if len(s.digits) > 0 {
		digits = append(digits, s.digits...)
		s.digits = s.digits[:0]
	}
	s.recvMu.Unlock()
	if firstSRTP && s.onSRTP != nil {
		s.onSRTP()
	}
	if s.onDTMF != nil {
		for _, d := range digits {
			s.onDTMF(d)
		}
	}
}

func (s *Stream) handleRTCP(pkt []byte, now time.Time) {
	s.recvMu.Lock()
	if s.sess != nil {
		clear, err := s.sess.unprotectRTCP(s.rtcpBuf[:0], pkt)
		if err != nil {
			s.recvMu.Unlock()
			s.dropAuth.Add(1)
			return
		}
		pkt = clear
	}
	// Clear RTCP before keys carries no media: read it even when clear
	// audio is refused, so the call's statistics work from the start.
	found, bye, err := s.rep.parse(pkt, now, s.snd.SSRC(), s.format.ClockRate)
	rep := s.rep.remote
	s.recvMu.Unlock()
	if err != nil {
		s.dropUnknown.Add(1)
		return
	}
	if found && s.onReport != nil {
		s.onReport(rep)
	}
	if bye && s.onBye != nil {
		s.onBye()
	}
}

// StreamStats is a snapshot of a stream's counters.
type StreamStats struct {
	SentPackets, SentOctets uint32
	Receive                 ReceiverStats
	// Remote is the far end's last report about our stream.
	Remote    RemoteReport
	HasRemote bool
	Secure    bool
	// DroppedClear: clear RTP refused by policy before keys.
	DroppedClear uint64
	// DroppedAuth: SRTP/SRTCP that failed authentication or the replay
	// check, including clear packets after SRTP was switched on.
	DroppedAuth uint64
	// DroppedForeign: datagrams from an address other than Remote.
	DroppedForeign uint64
	// DroppedUnknown: datagrams that are neither RTP, RTCP nor ZRTP.
	DroppedUnknown uint64
	ZRTPPackets    uint64
}

// Stats returns a snapshot of the stream's counters.
func (s *Stream) Stats() StreamStats {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	return StreamStats{
		SentPackets:    s.snd.packets,
		SentOctets:     s.snd.octets,
		Receive:        s.rcv.Stats(),
		Remote:         s.rep.remote,
		HasRemote:      s.rep.hasRemote,
		Secure:         s.sendSecure(),
		DroppedClear:   s.dropClear.Load(),
		DroppedAuth:    s.dropAuth.Load(),
		DroppedForeign: s.dropForeign.Load(),
		DroppedUnknown: s.dropUnknown.Load(),
		ZRTPPackets:    s.zrtpIn.Load(),
	}
}
