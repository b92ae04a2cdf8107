package rtp_test

import (
	"log"
	"net"
	"net/netip"

	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/rtp"
)

// A call leg: the media socket from the SDP, the ZRTP engine fed from
// OnZRTP and sending with SendZRTP, its keys switching the stream to
// SRTP. Until then nothing is sent or played (Config.AllowClear is false).
func Example() {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		log.Fatal(err)
	}
	var s *rtp.Stream
	s, err = rtp.NewStream(rtp.Config{
		Conn:   conn,
		Remote: netip.MustParseAddrPort("127.0.0.1:7078"), // from the SDP answer
		Format: codec.PCMU,
		OnZRTP: func(pkt []byte) {
			// engine.Receive(pkt): copy it, it is reused after this call.
			// The engine's Send outputs go out through s.SendZRTP.
		},
		OnDTMF: func(d rtp.DTMF) { log.Printf("digit %c", d.Digit) },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	// When the ZRTP engine reports Secured{Cipher, AuthTag, Keys}:
	profile, err := rtp.ZRTPProfile("AES1", "HS80")
	if err != nil {
		log.Fatal(err) // tell the user: the call is not encrypted
	}
	keys := rtp.Keys{Profile: profile /* LocalKey, LocalSalt, RemoteKey, RemoteSalt from the engine */}
	_ = keys // s.EnableSRTP(keys)

	// The audio device, every 20 ms:
	mic := make([]int16, s.FrameSamples())
	_ = s.WriteFrame(mic)
	speaker := s.ReadFrame(nil)
	_ = speaker
}
