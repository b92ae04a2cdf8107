// Package capture records UDP on the loopback interface with tshark, for
// tests that check what crossed the wire (only SRTP, no clear audio, STUN
// and DTLS before media). One helper for every such test, with the start
// the flaky ones needed: tshark prints "Capturing on" before it captures
// (twice in 80 loaded runs a call's whole ZRTP handshake was missing), so
// Start sends probe datagrams to a reserved port where nothing listens
// until tshark reports one.
package capture

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/output"
	"github.com/padlock-phone/padlock/internal/testkit/ports"
)

// Capture is tshark writing a pcap of what a capture filter selects on lo.
type Capture struct {
	cmd    *exec.Cmd
	file   string
	probe  *net.UDPAddr
	sender *net.UDPConn
	stdout output.Buffer // one summary line per packet seen
	stderr output.Buffer
}

// Start runs tshark on lo with the capture filter (BPF, e.g. "udp port
// 4000", or "udp" for everything) and returns once it is capturing. It is
// stopped when the test ends.
func Start(t testing.TB, filter string) *Capture {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatal("tshark not found: install it with `echo \"wireshark-common wireshark-common/install-setuid boolean false\" | debconf-set-selections; apt-get install -y tshark` (or `make deps`)")
	}
	c := &Capture{
		file:   filepath.Join(t.TempDir(), "capture.pcap"),
		probe:  &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ports.Reserve(t, 1, ports.UDPOnly)[0]},
		sender: ports.UDP(t),
	}
	// -P -l: a summary line per packet on stdout, flushed, while writing
	// the file.
	c.cmd = exec.Command(bin, "-i", "lo", "-f", fmt.Sprintf("(%s) or udp port %d", filter, c.probe.Port), "-w", c.file, "-P", "-l")
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("tshark: %v", err)
	}
	t.Cleanup(c.Stop)
	if !c.probeSeen(10 * time.Second) {
		t.Fatalf("tshark saw none of the probes within 10 s:\n%s", c.stderr.String())
	}
	return c
}

// probeSeen sends probes until tshark reports a packet it had not reported
// before, or until wait. Packets are reported in order, so everything sent
// before the probe has been captured by then.
func (c *Capture) probeSeen(wait time.Duration) bool {
	before := strings.Count(c.stdout.String(), "\n")
	deadline := time.Now().Add(wait)
	for strings.Count(c.stdout.String(), "\n") <= before {
		if time.Now().After(deadline) {
			return false
		}
		c.sender.WriteToUDP([]byte("capture probe"), c.probe)
		time.Sleep(20 * time.Millisecond) // the probes' pace while waiting for tshark's line
	}
	return true
}

// Stop ends the capture once tshark has seen everything sent so far (a
// last probe is the barrier), then SIGINT lets it finish the file; safe to
// call more than once.
func (c *Capture) Stop() {
	if c.cmd.Process == nil || c.cmd.ProcessState != nil {
		return
	}
	c.probeSeen(5 * time.Second)
	c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// Payloads stops the capture and returns the UDP payloads in order, the
// probes left out; display, if not empty, is a tshark display filter
// (e.g. "udp.port == 4000") that narrows them further.
func (c *Capture) Payloads(t testing.TB, display string) [][]byte {
	t.Helper()
	c.Stop()
	filter := fmt.Sprintf("!(udp.port == %d)", c.probe.Port)
	if display != "" {
		filter = "(" + display + ") && " + filter
	}
	out, err := exec.Command("tshark", "-r", c.file, "-Y", filter, "-T", "fields", "-e", "udp.payload").Output()
	if err != nil {
		t.Fatalf("tshark -r: %v", err)
	}
	var ps [][]byte
	for _, l := range strings.Fields(string(out)) {
		p, err := hex.DecodeString(strings.ReplaceAll(l, ":", ""))
		if err != nil {
			t.Fatalf("tshark payload %q: %v", l, err)
		}
		ps = append(ps, p)
	}
	return ps
}
