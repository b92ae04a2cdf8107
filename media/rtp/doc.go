// Package rtp carries one call leg's audio over one UDP socket: RTP and
// RTCP multiplexed on the same port (RFC 5761), ZRTP packets split out for
// the ZRTP engine (RFC 6189 section 5), SRTP/SRTCP once ZRTP has keys.
//
// The logic is sans-I/O and clock-injected so it can be tested without
// sockets: Sender turns 20 ms PCM frames and DTMF digits into RTP packets,
// Receiver turns RTP packets into 20 ms PCM frames through a JitterBuffer
// with loss concealment, and the RTCP types keep RFC 3550 statistics.
// Stream ties them to a net.UDPConn.
//
// The per-packet path (encode, packetize, protect; unprotect, depacketize,
// buffer, decode) allocates nothing.
package rtp
