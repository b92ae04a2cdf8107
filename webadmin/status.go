package webadmin

import (
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/store"
)

// StatusInfo is what the status page needs from the wiring; zero fields
// show as "unknown".
type StatusInfo struct {
	Build   string        // build stamp and version, in words
	Started time.Time     // when the appliance started, for the uptime
	DataDir string        // the phone's data directory (/perm/padlock on a phone)
	Headset func() string // the headset in use, or "not plugged in"
}

type statusAccount struct {
	Address string
	Kind    store.Kind
	Enabled bool
	State   string // registration state and last error, in words
}

type statusData struct {
	Build      string
	Uptime     string
	Accounts   []statusAccount
	Interfaces []string // "eth0: 192.168.1.20/24, fe80::…/64"
	Headset    string
	Storage    string
	Time       string
	Zone       string
}

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	info := s.cfg.Status
	now := s.cfg.Now()
	d := statusData{Build: orUnknown(info.Build), Uptime: "unknown", Headset: "unknown",
		Time: now.Format("2006-01-02 15:04:05"), Zone: zoneOf(now)}
	if !info.Started.IsZero() {
		d.Uptime = now.Sub(info.Started).Round(time.Second).String()
	}
	if info.Headset != nil {
		d.Headset = info.Headset()
	}
	accs, err := s.cfg.Store.Accounts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, a := range accs {
		st := s.cfg.AccountStatus(a)
		switch {
		case !a.Enabled:
			st = "disabled"
		case st == "":
			st = "not started"
		}
		d.Accounts = append(d.Accounts, statusAccount{a.Address(), a.Kind, a.Enabled, st})
	}
	d.Interfaces = interfaces()
	d.Storage = storage(info.DataDir)
	s.render(w, r, http.StatusOK, "status", page{Title: "Status", Data: d})
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// zoneOf names the zone and its offset: "UTC (+00:00)", "Europe/Paris CET (+01:00)".
func zoneOf(t time.Time) string {
	abbr, _ := t.Zone()
	name := time.Local.String()
	if name == "Local" || name == abbr {
		name = ""
	} else {
		name += " "
	}
	return name + abbr + " (" + t.Format("-07:00") + ")"
}

// interfaces lists each interface that is up with its addresses, loopback
// left out: these are the addresses the web admin and SIP are reached on.
func interfaces() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return []string{"cannot list the network interfaces: " + err.Error()}
	}
	var out []string
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := i.Addrs()
		var as []string
		for _, a := range addrs {
			as = append(as, a.String())
		}
		if len(as) == 0 {
			as = []string{"no address"}
		}
		out = append(out, i.Name+": "+strings.Join(as, ", "))
	}
	if len(out) == 0 {
		out = []string{"no network interface is up"}
	}
	return out
}

// storage says how much the data directory holds and what is left on its
// file system.
func storage(dir string) string {
	if dir == "" {
		return "unknown"
	}
	var used int64
	filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				used += fi.Size()
			}
		}
		return nil
	})
	s := fmt.Sprintf("%s used by the phone's data in %s", bytesInWords(used), dir)
	if free, total, ok := diskSpace(dir); ok {
		s += fmt.Sprintf("; %s free of %s", bytesInWords(free), bytesInWords(total))
	}
	return s
}

func bytesInWords(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
