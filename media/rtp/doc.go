// Package rtp carries one call leg's audio over one UDP socket: RTP and
// RTCP multiplexed on the same port (RFC 5761), ZRTP packets split out for
// the ZRTP engine (RFC 6189 section 5), SRTP/SRTCP once ZRTP has keys.
//
// The logic is sans-I/O and clock-injected so it can be tested without
// sockets: Sender turns 20 ms PCM frames and DTMF digits (RFC 4733) into
// RTP packets, Receiver turns RTP packets into 20 ms PCM frames through a
// JitterBuffer (20-60 ms, following RFC 3550 interarrival jitter) with
// pitch-based loss concealment, and the RTCP reporter keeps RFC 3550
// statistics. Stream ties them to a net.UDPConn (plus a second socket for
// RTCP when the peer does not do rtcp-mux), and Stream.Run to the headset.
//
// Nothing is sent or played in clear unless Config.AllowClear says so
// (require_encrypted_calls off) or Stream.AllowClear is called later;
// after EnableSRTP clear packets are dropped.
//
// The per-packet path (encode, packetize, protect; unprotect, depacketize,
// buffer, decode, conceal) allocates nothing.
package rtp
