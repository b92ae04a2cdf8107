package capture

import (
	"bytes"
	"net"
	"testing"

	"github.com/padlock-phone/padlock/internal/testkit/ports"
)

// TestCapturesWhatWasSent: datagrams sent to a port after Start are all in
// the payloads, in order, and the probes are not.
func TestCapturesWhatWasSent(t *testing.T) {
	dst := ports.UDP(t)
	port := dst.LocalAddr().(*net.UDPAddr).Port
	c := Start(t, "udp port "+itoa(port))
	src := ports.UDP(t)
	want := [][]byte{[]byte("one"), []byte("two"), []byte("three")}
	for _, w := range want {
		if _, err := src.WriteToUDP(w, dst.LocalAddr().(*net.UDPAddr)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		if _, _, err := dst.ReadFromUDP(buf); err != nil { // received, so it crossed lo
			t.Fatal(err)
		}
	}
	got := c.Payloads(t, "")
	if len(got) != len(want) {
		t.Fatalf("captured %d payloads, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("payload %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
