package webadmin

import (
	"crypto/tls"
	"net/http"
	"strings"
	"time"
)

// Timeouts of the web admin's HTTP server. Without them (issue 12) a
// connection that trickles its headers or body was held forever, and a
// thousand of them took the phone's memory. The event streams are exempt
// from the read and write deadlines once their session is checked
// (streamWithoutDeadlines).
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second // headers and body together
	WriteTimeout      = 45 * time.Second // the slowest handler waits 30 s on an XMPP server
	IdleTimeout       = 60 * time.Second
	MaxHeaderBytes    = 16 << 10
)

// Harden sets the timeouts and header limit above on srv (the HTTPS web
// admin and the plain-HTTP redirect both use it).
func Harden(srv *http.Server) {
	srv.ReadHeaderTimeout = ReadHeaderTimeout
	srv.ReadTimeout = ReadTimeout
	srv.WriteTimeout = WriteTimeout
	srv.IdleTimeout = IdleTimeout
	srv.MaxHeaderBytes = MaxHeaderBytes
}

// TLSConfig is the web admin's TLS: 1.2 and 1.3, and in 1.2 only ECDHE
// with AEAD suites (issue 12: Go's defaults still include CBC-SHA1 ones).
// TLS 1.3 suites are not configurable in Go and are all AEAD.
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}

// streamWithoutDeadlines lifts the server's read and write deadlines for
// an event stream (GET …/events) of a logged-in session: those run as long
// as the page is open. Everything else keeps them.
func streamWithoutDeadlines(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/events") {
		return
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
}
