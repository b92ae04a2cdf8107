package webadmin

import "github.com/padlock-phone/padlock/phone"

// softKeys are the phone-wide buttons of the call panel that apply to the
// current call now, as a desk phone's display offers only the keys that
// do something: a ringing call can be answered or rejected, a call in
// progress held or hung up, a held one resumed. Pressing a key that is
// not shown would be ignored by the brain, so showing it only misleads.
func softKeys(c phone.Call) []callAction {
	var k []callAction
	switch c.Status {
	case phone.RingingIn:
		if c.Answering {
			return []callAction{{"hangup", "Hang up"}}
		}
		return []callAction{{"answer", "Answer"}, {"hangup", "Reject"}}
	case phone.Dialing, phone.RingingOut:
		return []callAction{{"hangup", "Cancel the call"}}
	case phone.Active:
		k = append(k, callAction{"hold", "Hold"})
	case phone.Held:
		k = append(k, callAction{"resume", "Resume"})
	default: // idle or just ended: only the dial field applies
		return nil
	}
	switch c.Security {
	case phone.Secured:
		k = append(k, callAction{"confirm", "SAS matches: confirm"}, callAction{"repeat-sas", "Say the SAS again"})
	case phone.Verified:
		k = append(k, callAction{"unconfirm", "Unconfirm SAS"}, callAction{"repeat-sas", "Say the SAS again"})
	}
	return append(k, callAction{"hangup", "Hang up"})
}

// canDial says whether the dial field applies: the brain places a new call
// only while nothing else has the person's ear (no call ringing, talking
// or going out; held calls stay held).
func canDial(c phone.Call) bool {
	return c.Status == phone.Idle || c.Status == phone.Ended || c.Status == phone.Held
}

// keypadApplies says whether the DTMF keys do anything: only in a call
// that is talking.
func keypadApplies(c phone.Call) bool { return c.Status == phone.Active }
