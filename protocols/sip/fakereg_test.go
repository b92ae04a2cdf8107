package sip

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// fakeRegistrar answers REGISTERs on a UDP socket with answer(n, req), n
// counting from 0. It records what it got.
type fakeRegistrar struct {
	addr string
	got  chan *sip.Request
}

func newFakeRegistrar(t *testing.T, answer func(n int, req *sip.Request) *sip.Response) *fakeRegistrar {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := &fakeRegistrar{addr: c.LocalAddr().String(), got: make(chan *sip.Request, 100)}
	go func() {
		buf := make([]byte, 65535)
		for n := 0; ; {
			k, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			msg, err := sip.ParseMessage(buf[:k])
			req, ok := msg.(*sip.Request)
			if err != nil || !ok || req.Method != sip.REGISTER {
				continue
			}
			f.got <- req
			res := answer(n, req)
			n++
			c.WriteToUDP([]byte(res.String()), from)
		}
	}()
	return f
}

func TestRegistrarAnswers(t *testing.T) {
	ok := func(req *sip.Request, expires string) *sip.Response {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Contact", req.Contact().Value()+";expires="+expires))
		return res
	}
	tests := []struct {
		name        string
		answer      func(n int, req *sip.Request) *sip.Response
		wantErr     string
		wantExpires time.Duration
	}{
		{
			name: "423 then the minimum",
			answer: func(n int, req *sip.Request) *sip.Response {
				if n == 0 {
					res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
					res.AppendHeader(sip.NewHeader("Min-Expires", "90"))
					return res
				}
				return ok(req, req.GetHeader("Expires").Value())
			},
			wantExpires: 90 * time.Second,
		},
		{
			name:        "shorter lifetime granted",
			answer:      func(n int, req *sip.Request) *sip.Response { return ok(req, "45") },
			wantExpires: 45 * time.Second,
		},
		{
			name: "403 without a challenge",
			answer: func(n int, req *sip.Request) *sip.Response {
				return sip.NewResponseFromRequest(req, 403, "Not Your Domain", nil)
			},
			wantErr: "registrar answered 403: alice@127.0.0.1 may not register here (Not Your Domain)",
		},
		{
			name: "server error",
			answer: func(n int, req *sip.Request) *sip.Response {
				return sip.NewResponseFromRequest(req, 503, "Overloaded", nil)
			},
			wantErr: "registrar answered 503 Overloaded for alice@127.0.0.1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeRegistrar(t, tc.answer)
			st := newStatusLog()
			d := newDriver(t, st, Account{User: "alice", Password: "x", Domain: "127.0.0.1", Registrar: f.addr, Expires: 30 * time.Second})
			d.Start()
			s := st.wait(t, 5*time.Second, "registration result", func(AccountStatus) bool { return true })
			if tc.wantErr != "" {
				if s.Err == nil || s.Err.Error() != tc.wantErr {
					t.Fatalf("err %v, want %q", s.Err, tc.wantErr)
				}
				return
			}
			if !s.Registered || s.Expires != tc.wantExpires {
				t.Fatalf("status %+v, want registered for %v", s, tc.wantExpires)
			}
			req := <-f.got
			if via := req.Via(); via == nil || !via.Params.Has("rport") {
				t.Errorf("no rport in Via: %v", via)
			}
			if ct := req.Contact(); ct == nil || ct.Address.User != "alice" || ct.Address.Port == 0 {
				t.Errorf("contact %v", ct)
			}
			if !strings.HasPrefix(req.Recipient.String(), "sip:127.0.0.1") || req.Recipient.User != "" {
				t.Errorf("REGISTER to %s, want the domain", req.Recipient.String())
			}
		})
	}
}

func TestBackoffAfterFailures(t *testing.T) {
	f := newFakeRegistrar(t, func(n int, req *sip.Request) *sip.Response {
		if n < 3 {
			return sip.NewResponseFromRequest(req, 503, "Overloaded", nil)
		}
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Expires", "600"))
		return res
	})
	asked := make(chan int, 10)
	st := newStatusLog()
	d, err := New(Config{
		Accounts: []Account{{User: "alice", Password: "x", Domain: "127.0.0.1", Registrar: f.addr}},
		Media:    newUDPMedia(), OnStatus: st.report, KeepAlive: -1,
		Backoff: func(n int) time.Duration { asked <- n; return time.Millisecond },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Start()
	st.wait(t, 5*time.Second, "registration after three refusals", func(s AccountStatus) bool { return s.Registered })
	for want := 0; want < 3; want++ {
		if n := <-asked; n != want {
			t.Fatalf("backoff asked for attempt %d, want %d", n, want)
		}
	}
	select {
	case n := <-asked:
		t.Fatalf("backoff asked again (%d) after success", n)
	default:
	}
}
