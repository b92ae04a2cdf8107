package webadmin

import (
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/phone"
)

// TestLegAction: the per-call posts become the brain's events, and what is
// not a call, or lacks what the action needs, is refused with words.
func TestLegAction(t *testing.T) {
	tests := []struct {
		action string
		form   url.Values
		want   phone.Event
		ok     bool
		bad    string
	}{
		{"hold", url.Values{"call": {"c1"}}, phone.Hold{ID: "c1", On: true}, true, ""},
		{"resume", url.Values{"call": {"c1"}}, phone.Hold{ID: "c1"}, true, ""},
		{"hangup", url.Values{"call": {"c2"}}, phone.HangUp{ID: "c2"}, true, ""},
		{"confirm", url.Values{"call": {"c2"}}, phone.ConfirmSAS{ID: "c2", Verified: true}, true, ""},
		{"unconfirm", url.Values{"call": {"c2"}}, phone.ConfirmSAS{ID: "c2"}, true, ""},
		{"merge", nil, phone.Merge{}, true, ""},
		{"split", url.Values{"call": {"c1"}}, phone.Split{ID: "c1"}, true, ""},
		{"split", nil, nil, true, "say which call"},
		{"transfer", url.Values{"call": {"c1"}, "target": {" sip:bob@example.org "}}, phone.Transfer{ID: "c1", Target: "sip:bob@example.org"}, true, ""},
		{"transfer", url.Values{"call": {"c1"}}, nil, true, "enter the number"},
		{"transfer", url.Values{"call": {"c1"}, "target": {"bob\r\nVia: x"}}, nil, true, "enter the number"},
		{"hold", url.Values{"call": {"c1\r\n"}}, nil, true, "not a call"},
		{"hold", url.Values{"call": {strings.Repeat("x", 200)}}, nil, true, "not a call"},
		{"dial", url.Values{"call": {"c1"}}, nil, true, "cannot be done to one call"},
		{"hold", nil, nil, false, ""},   // the phone-wide Hold
		{"answer", nil, nil, false, ""}, // phone-wide
	}
	for _, tc := range tests {
		r := httptest.NewRequest("POST", "/call/"+tc.action, strings.NewReader(tc.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetPathValue("action", tc.action)
		ev, ok, err := legAction(r)
		if ok != tc.ok || !reflect.DeepEqual(ev, tc.want) && tc.bad == "" {
			t.Errorf("%s %v: %#v %v %v, want %#v", tc.action, tc.form, ev, ok, err, tc.want)
		}
		if (err != nil) != (tc.bad != "") || err != nil && !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("%s %v: error %v, want %q", tc.action, tc.form, err, tc.bad)
		}
	}
}

// TestCallViews: each call's buttons follow its state, and Merge is
// offered only while two connected calls are not one conference yet.
func TestCallViews(t *testing.T) {
	now := time.Now()
	held := phone.Call{ID: "a", Leg: 1, Status: phone.Held, Security: phone.Verified, Connected: now}
	active := phone.Call{ID: "b", Leg: 2, Status: phone.Active, Security: phone.Secured, Connected: now}
	ringing := phone.Call{ID: "c", Leg: 3, Status: phone.RingingIn}
	v, merge := callViews(phone.State{Calls: []phone.Call{held, active, ringing}})
	want := [][]string{{"resume", "unconfirm", "transfer", "hangup"}, {"hold", "confirm", "transfer", "hangup"}, {"hangup"}}
	for i := range v {
		if !reflect.DeepEqual(v[i].Actions, want[i]) {
			t.Errorf("call %s: %v, want %v", v[i].ID, v[i].Actions, want[i])
		}
	}
	if !merge {
		t.Error("two connected calls: no merge")
	}
	held.Conference, active.Conference, held.Status = true, true, phone.Active
	v, merge = callViews(phone.State{Calls: []phone.Call{held, active}})
	if merge || !reflect.DeepEqual(v[0].Actions, []string{"hold", "unconfirm", "split", "hangup"}) {
		t.Errorf("conference: merge %v, actions %v", merge, v[0].Actions)
	}
	if b := v[0].Buttons(); len(b) != 4 || b[2].Label != "Split off" {
		t.Errorf("buttons %v", b)
	}
}
