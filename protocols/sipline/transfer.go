package sipline

import (
	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/protocols/sip"
)

// Transfer and DialReferred go to the driver (blind transfer, RFC 3515).
func (l *Line) Transfer(id call.ID, target string) error {
	return l.with(func(d *sip.Driver) error { return d.Transfer(id, target) })
}

func (l *Line) DialReferred(target string, by call.ID) (call.ID, error) {
	d, err := l.driver()
	if err != nil {
		return "", err
	}
	return d.DialReferred(target, by)
}
