package webadmin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"path/filepath"
	"time"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/store/atomicfile"
)

// Certificate file names in the data directory.
const (
	certFile = "webadmin-cert.pem"
	keyFile  = "webadmin-key.pem"
)

// DeviceCert loads the web admin's self-signed certificate from dir, making
// a new one (ECDSA P-256, valid 20 years: the device has no one to renew it
// for it) on first run. hosts become its subject alternative names. The SHA-256
// fingerprint it returns is what a person checks in the browser on first
// connection (it is logged at start).
func DeviceCert(dir string, hosts []string, now time.Time) (tls.Certificate, string, error) {
	cp, kp := filepath.Join(dir, certFile), filepath.Join(dir, keyFile)
	cert, err := tls.LoadX509KeyPair(cp, kp)
	if err == nil {
		return cert, Fingerprint(cert.Certificate[0]), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return tls.Certificate{}, "", fmt.Errorf("web admin certificate in %s is damaged (%w); delete %s and %s to make a new one", dir, err, certFile, keyFile)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Padlock web admin", Organization: []string{"Padlock phone"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	// The key first: a cert without its key is useless, a key without its
	// cert is simply replaced at the next start.
	if err := atomicfile.WriteFile(kp, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return tls.Certificate{}, "", err
	}
	if err := atomicfile.WriteFile(cp, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, "", err
	}
	cert, err = tls.LoadX509KeyPair(cp, kp)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	return cert, Fingerprint(der), nil
}

// Fingerprint is the SHA-256 of a DER certificate as colon-separated hex,
// the way browsers show it.
func Fingerprint(der []byte) string { return fingerprint.OfDER(der) }

// DefaultHosts is the names the certificate is made for: the phone's own
// mDNS name (padlock.local, as the README tells people to open), localhost
// and the loopback addresses. Not os.Hostname: the certificate is public,
// and the name of whatever machine first ran the appliance (a build host,
// a laptop) is nobody's business (issue 12).
func DefaultHosts() []string {
	return []string{"padlock", "padlock.local", "localhost", "127.0.0.1", "::1"}
}
