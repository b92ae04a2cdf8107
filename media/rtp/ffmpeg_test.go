package rtp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/ports"
	"github.com/padlock-phone/padlock/media/codec"
)

// ffmpeg is an independent RTP/SRTP implementation (libavformat's RTP
// muxer and demuxer over libsrtp-free SRTP code of its own): it sends a
// sine to a Stream and plays what a Stream sends, PCMU and G.722.

func ffmpegBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal("ffmpeg is needed as an independent RTP/SRTP peer: apt-get install ffmpeg (make deps)")
	}
	return p
}

// freePort is a UDP port (and the one above it, for ffmpeg's RTCP)
// reserved for the test on loopback, for ffmpeg to bind (testkit/ports).
func freePort(t *testing.T) int {
	t.Helper()
	return ports.Reserve(t, 2, ports.UDPOnly)[0]
}

// ffmpegCodec is ffmpeg's encoder for f.
func ffmpegCodec(f codec.Format) string {
	if f == codec.G722 {
		return "g722"
	}
	return "pcm_mulaw"
}

// sineLevel is the peak of ffmpeg's sine source: 1/8 of full scale.
const sineLevel = 32768.0 / 8

// loudPart returns x from shortly after the first loud sample, for d
// samples: ffmpeg starts and stops at its own pace.
func loudPart(t *testing.T, x []int16, d int) []int16 {
	t.Helper()
	for i, v := range x {
		if v > 1000 || v < -1000 {
			start := i + d/10
			if start+d > len(x) {
				t.Fatalf("only %d samples of audio after the start at %d, want %d", len(x)-start, start, d)
			}
			return x[start : start+d]
		}
	}
	t.Fatal("no audio at all")
	return nil
}

func TestInteropFFmpegToStream(t *testing.T) {
	bin := ffmpegBin(t)
	for _, f := range []codec.Format{codec.PCMU, codec.G722} {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			k := testKeys(AES128CMHMACSHA180, 60)
			ffPort := freePort(t)
			conn := listenUDP(t)
			s, err := NewStream(Config{Conn: conn, Format: f, RTCPInterval: -1,
				Remote: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(ffPort))})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// ffmpeg protects with its key: our remote key.
			if err := s.EnableSRTP(k); err != nil {
				t.Fatal(err)
			}
			params := base64.StdEncoding.EncodeToString(append(bytes.Clone(k.RemoteKey), k.RemoteSalt...))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
				// 20 ms frames, so that -re paces packets as a phone would.
				"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=1000:sample_rate=%d:duration=2:samples_per_frame=%d", f.SampleRate, f.Samples(FrameDuration)),
				"-c:a", ffmpegCodec(f), "-ar", fmt.Sprint(f.SampleRate), "-ac", "1", "-payload_type", fmt.Sprint(f.PayloadType),
				"-f", "rtp", "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", params,
				fmt.Sprintf("srtp://%s?localrtpport=%d&localrtcpport=%d&pkt_size=200", s.LocalAddr(), ffPort, ffPort+1))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var out []int16
			tick := time.NewTicker(FrameDuration)
			defer tick.Stop()
			finished := false
			for tail := 10; tail > 0; {
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("ffmpeg: %v: %s", err, stderr.String())
					}
					finished = true
				case <-tick.C:
					out = s.ReadFrame(out)
					if finished {
						tail--
					}
				}
			}
			st := s.Stats()
			if st.DroppedAuth != 0 || st.Receive.Received < 50 {
				t.Errorf("from ffmpeg: %+v", st)
			}
			part := loudPart(t, out, f.SampleRate) // a second of it
			checkToneLive(t, part, 0, 1000, float64(f.SampleRate), sineLevel, 1)
			t.Logf("packet duration %v, %+v", s.rcv.jb.PacketDuration(), st.Receive)
		})
	}
}

func TestInteropStreamToFFmpeg(t *testing.T) {
	bin := ffmpegBin(t)
	for _, f := range []codec.Format{codec.PCMU, codec.G722} {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			k := testKeys(AES128CMHMACSHA180, 70)
			ffPort := freePort(t)
			conn := listenUDP(t)
			s, err := NewStream(Config{Conn: conn, Format: f, RTCPInterval: -1,
				Remote: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(ffPort))})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.EnableSRTP(k); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			sdp := fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=padlock\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
				"m=audio %d RTP/AVP %d\r\na=rtpmap:%s\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n",
				ffPort, f.PayloadType, f.Rtpmap(), base64.StdEncoding.EncodeToString(append(bytes.Clone(k.LocalKey), k.LocalSalt...)))
			sdpPath := filepath.Join(dir, "in.sdp")
			if err := os.WriteFile(sdpPath, []byte(sdp), 0o600); err != nil {
				t.Fatal(err)
			}
			rawPath := filepath.Join(dir, "out.raw")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-loglevel", "error", "-nostdin",
				"-protocol_whitelist", "file,udp,rtp,srtp,crypto", "-i", sdpPath,
				"-t", "1.5", "-ac", "1", "-ar", fmt.Sprint(f.SampleRate), "-f", "s16le", rawPath)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			src := &toneSource{freq: 1000, rate: float64(f.SampleRate), amp: 8000}
			pcm := make([]int16, 0, s.FrameSamples())
			tick := time.NewTicker(FrameDuration)
			defer tick.Stop()
		send:
			for {
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("ffmpeg: %v: %s", err, stderr.String())
					}
					break send
				case <-tick.C:
					pcm = src.frame(pcm[:0], s.FrameSamples())
					if err := s.WriteFrame(pcm); err != nil {
						t.Fatal(err)
					}
				}
			}
			raw, err := os.ReadFile(rawPath)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]int16, len(raw)/2)
			for i := range got {
				got[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
			}
			part := loudPart(t, got, f.SampleRate)
			checkToneLive(t, part, 0, 1000, float64(f.SampleRate), 8000, 1)
		})
	}
}
