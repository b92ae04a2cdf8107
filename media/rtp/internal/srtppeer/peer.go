//go:build cgo

package srtppeer

/*
#cgo pkg-config: libsrtp2
#include <stdlib.h>
#include <string.h>
#include <srtp2/srtp.h>

// peer_create makes a libsrtp session for every outbound or every inbound
// SSRC, keyed with key||salt. The profile numbers are media/rtp's.
static srtp_err_status_t peer_create(srtp_t *s, int profile, unsigned char *key, int outbound) {
	srtp_policy_t p;
	memset(&p, 0, sizeof p);
	switch (profile) {
	case 1:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
		break;
	case 2:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
		break;
	case 3:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
		break;
	case 4:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
		break;
	default:
		return srtp_err_status_bad_param;
	}
	p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	p.key = key;
	p.window_size = 128;
	return srtp_create(s, &p);
}

static int peer_trailer(void) { return SRTP_MAX_TRAILER_LEN; }
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/padlock-phone/padlock/media/rtp"
)

var initOnce sync.Once
var initErr error

// Session is one libsrtp session: outbound (protect) or inbound (unprotect).
// Use it from one goroutine.
type Session struct {
	s C.srtp_t
}

// New makes a session for profile with master key and salt.
func New(p rtp.Profile, key, salt []byte, outbound bool) (*Session, error) {
	initOnce.Do(func() {
		if st := C.srtp_init(); st != C.srtp_err_status_ok {
			initErr = fmt.Errorf("srtppeer: srtp_init failed: %d", int(st))
		}
	})
	if initErr != nil {
		return nil, initErr
	}
	if len(key) != p.KeyLen() || len(salt) != p.SaltLen() {
		return nil, fmt.Errorf("srtppeer: %s needs a %d-byte key and %d-byte salt", p, p.KeyLen(), p.SaltLen())
	}
	ks := C.CBytes(append(append([]byte(nil), key...), salt...))
	defer C.free(ks)
	out := C.int(0)
	if outbound {
		out = 1
	}
	s := &Session{}
	if st := C.peer_create(&s.s, C.int(p), (*C.uchar)(ks), out); st != C.srtp_err_status_ok {
		return nil, fmt.Errorf("srtppeer: srtp_create(%s) failed: %d", p, int(st))
	}
	return s, nil
}

// Close frees the session.
func (s *Session) Close() {
	if s.s != nil {
		C.srtp_dealloc(s.s)
		s.s = nil
	}
}

type op int

const (
	protect op = iota
	unprotect
	protectRTCP
	unprotectRTCP
)

// do runs one libsrtp call on a C copy of pkt with room for the trailer.
func (s *Session) do(o op, pkt []byte) ([]byte, error) {
	n := len(pkt) + int(C.peer_trailer())
	buf := C.malloc(C.size_t(n))
	defer C.free(buf)
	C.memcpy(buf, unsafe.Pointer(unsafe.SliceData(pkt)), C.size_t(len(pkt)))
	l := C.int(len(pkt))
	var st C.srtp_err_status_t
	switch o {
	case protect:
		st = C.srtp_protect(s.s, buf, &l)
	case unprotect:
		st = C.srtp_unprotect(s.s, buf, &l)
	case protectRTCP:
		st = C.srtp_protect_rtcp(s.s, buf, &l)
	case unprotectRTCP:
		st = C.srtp_unprotect_rtcp(s.s, buf, &l)
	}
	if st != C.srtp_err_status_ok {
		return nil, fmt.Errorf("srtppeer: libsrtp refused the packet: status %d", int(st))
	}
	return C.GoBytes(buf, l), nil
}

// Protect turns a clear RTP packet into SRTP.
func (s *Session) Protect(pkt []byte) ([]byte, error) { return s.do(protect, pkt) }

// Unprotect checks and decrypts an SRTP packet.
func (s *Session) Unprotect(pkt []byte) ([]byte, error) { return s.do(unprotect, pkt) }

// ProtectRTCP turns a clear RTCP packet into SRTCP.
func (s *Session) ProtectRTCP(pkt []byte) ([]byte, error) { return s.do(protectRTCP, pkt) }

// UnprotectRTCP checks and decrypts an SRTCP packet.
func (s *Session) UnprotectRTCP(pkt []byte) ([]byte, error) { return s.do(unprotectRTCP, pkt) }
