// Command lanattack is the attacker of cmd/appliance's TestLANAttackOnLogin,
// built without the race detector and run as its own process so that the
// load it makes lands on the appliance, not on the test's instrumented
// clients: N clients at N loopback addresses send a wrong login each
// second, and M TLS connections from M addresses trickle a login body one
// byte every 500 ms until the server hangs up. It prints "attacking" once
// everything is under way, and at the end one line of results:
//
//	result <status>:<count>... open=<n> cut=<n>
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "", "the web admin, host:port")
	certFile := flag.String("cert", "", "the web admin's certificate (PEM)")
	logins := flag.Int("logins", 100, "clients sending wrong logins")
	slow := flag.Int("slow", 1000, "slow-body connections")
	dur := flag.Duration("for", 14*time.Second, "how long the wrong logins go on")
	giveUp := flag.Duration("give-up", 16*time.Second, "how long a slow connection trickles before giving up")
	flag.Parse()
	pem, err := os.ReadFile(*certFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tlsConf := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()

	var mu sync.Mutex
	codes := map[string]int{}
	count := func(k string) { mu.Lock(); codes[k]++; mu.Unlock() }
	var wg sync.WaitGroup
	for i := range *logins {
		wg.Go(func() {
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i%250))}}
			c := &http.Client{Timeout: 30 * time.Second,
				Transport:     &http.Transport{TLSClientConfig: tlsConf, DialContext: d.DialContext},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for n := 0; ctx.Err() == nil; n++ {
				form := url.Values{"password": {fmt.Sprintf("wrong guess %d-%d", i, n)}}
				req, _ := http.NewRequest("POST", "https://"+*addr+"/login", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				if resp, err := c.Do(req); err != nil {
					count("error")
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					count(fmt.Sprint(resp.StatusCode))
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		})
	}
	var open, cut atomic.Int64
	var opened sync.WaitGroup
	dialing := make(chan struct{}, 50)
	for i := range *slow {
		opened.Add(1)
		wg.Go(func() {
			local := net.IPv4(127, 0, 2+byte(i/250), byte(1+i%250))
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: local}, Timeout: 10 * time.Second}
			dialing <- struct{}{}
			conn, err := tls.DialWithDialer(d, "tcp", *addr, tlsConf)
			<-dialing
			opened.Done()
			if err != nil {
				count("slow-refused")
				return
			}
			defer conn.Close()
			open.Add(1)
			fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\nSec-Fetch-Site: same-origin\r\n\r\npassword=", *addr)
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			stop := time.After(*giveUp)
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if _, err := conn.Write([]byte("x")); err != nil {
					cut.Add(1) // the server's read timeout hung up on it
					return
				}
			}
		})
	}
	opened.Wait()
	fmt.Println("attacking")
	wg.Wait()
	var keys []string
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("result")
	for _, k := range keys {
		fmt.Fprintf(&b, " %s:%d", k, codes[k])
	}
	fmt.Fprintf(&b, " open=%d cut=%d", open.Load(), cut.Load())
	fmt.Println(b.String())
}
