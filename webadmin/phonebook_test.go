package webadmin

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/phonebook"
)

// upload posts a file to the import form as a browser would.
func (c *client) upload(path, name string, data []byte) response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", c.csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.a.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.read(resp)
}

func TestPhonebookPages(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	ctx := context.Background()

	for _, tc := range []struct {
		name       string
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{"add", url.Values{"name": {"Alice Liddell"}, "addresses": {"alice@example.org\r\n+44 20 7946 0000\r\n"}, "favourite": {"1"}}, http.StatusSeeOther, ""},
		{"favourite taken", url.Values{"name": {"Bob"}, "addresses": {"1002"}, "favourite": {"1"}}, http.StatusBadRequest, "favourite 1 is both Alice Liddell and Bob"},
		{"no address", url.Values{"name": {"Bob"}, "addresses": {" \n "}}, http.StatusBadRequest, "at least one number"},
		{"bad favourite", url.Values{"name": {"Bob"}, "addresses": {"1002"}, "favourite": {"x"}}, http.StatusBadRequest, "from 1 to 99"},
		{"two-line name", url.Values{"name": {"Bob\nEvil"}, "addresses": {"1002"}}, http.StatusBadRequest, "single line"},
	} {
		r := c.post("/phonebook", tc.form, true)
		if r.StatusCode != tc.wantStatus || !strings.Contains(r.body, tc.wantText) {
			t.Errorf("%s: %s, page lacks %q:\n%.600s", tc.name, r.Status, tc.wantText, r.body)
		}
	}
	es, err := a.st.Phonebook(ctx)
	if err != nil || len(es) != 1 {
		t.Fatalf("phonebook %+v, %v", es, err)
	}
	// Every address gets a call button that posts the dial command.
	r := c.get("/phonebook")
	if !strings.Contains(r.body, `<input type="hidden" name="target" value="&#43;44 20 7946 0000">`) && !strings.Contains(r.body, `value="+44 20 7946 0000"`) {
		t.Errorf("no call button for the number:\n%s", r.body)
	}
	// Edit.
	id := es[0].ID
	r = c.post("/phonebook/"+itoa(id), url.Values{"name": {"Alice L."}, "addresses": {"alice@example.org"}, "favourite": {""}}, true)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %s %s", r.Status, r.body)
	}
	if e, _ := a.st.PhonebookEntry(ctx, id); e.Name != "Alice L." || e.Favourite != 0 || len(e.Addresses) != 1 {
		t.Fatalf("after edit: %+v", e)
	}

	// Import: a bad file adds nobody and says why; a good one adds its people
	// and counts the cards left out.
	r = c.upload("/phonebook/import", "x.vcf", []byte("BEGIN:VCARD\nVERSION:2.1\nFN:x\nEND:VCARD\n"))
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "reads 4.0 and 3.0") {
		t.Errorf("bad import: %s %.500s", r.Status, r.body)
	}
	good := phonebook.Encode([]store.PhonebookEntry{{Name: "Bob", Addresses: []string{"1002"}, Favourite: 2}})
	good = append(good, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Mail Only\r\nEMAIL:m@example.org\r\nEND:VCARD\r\n"...)
	r = c.upload("/phonebook/import", "people.vcf", good)
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(bannerOf(r.Header.Get("Location")), "1 person imported") || !strings.Contains(bannerOf(r.Header.Get("Location")), "1 card has no number or SIP address and was left out") {
		t.Errorf("good import: %s -> %q %.300s", r.Status, r.Header.Get("Location"), r.body)
	}
	// Export gives back both, in vCard.
	r = c.get("/phonebook/export.vcf")
	back, err := phonebook.Decode([]byte(r.body))
	if r.Header.Get("Content-Type") != "text/vcard; charset=utf-8" || err != nil || len(back) != 2 || back[1].Name != "Bob" || back[1].Favourite != 2 {
		t.Errorf("export: %q %v %+v", r.Header.Get("Content-Type"), err, back)
	}

	// History: a call from Bob's number shows his name and can be called back.
	sip, err := a.st.CreateAccount(ctx, store.Account{Kind: store.SIP, User: "me", Server: "pbx.example", Transport: store.UDP, Enabled: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.AddHistory(ctx, store.HistoryEntry{AccountID: sip, Contact: "1002@pbx.example", Time: time.Now(), Direction: store.In, Kind: store.Call, Body: []byte(`{"outcome":"missed"}`)}); err != nil {
		t.Fatal(err)
	}
	r = c.get("/history")
	if !strings.Contains(r.body, `<strong class="name">Bob</strong> 1002@pbx.example`) || !strings.Contains(r.body, `name="target" value="1002@pbx.example"`) {
		t.Errorf("history lacks Bob's name or the call-back form:\n%s", r.body)
	}

	// Delete.
	// The first post only asks; nothing is gone yet.
	r = c.post("/phonebook/"+itoa(id)+"/delete", nil, true)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="confirm-submit"`) {
		t.Fatalf("delete without confirming: %s\n%s", r.Status, r.body)
	}
	if r := c.get("/phonebook/" + itoa(id)); r.StatusCode != http.StatusOK {
		t.Fatalf("the entry went before the confirmation: %s", r.Status)
	}
	r = c.post("/phonebook/"+itoa(id)+"/delete", url.Values{"confirmed": {"yes"}}, true)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %s", r.Status)
	}
	if r := c.get("/phonebook/" + itoa(id)); r.StatusCode != http.StatusNotFound {
		t.Errorf("deleted entry: %s", r.Status)
	}
	// Without the CSRF token nothing changes.
	if r := c.post("/phonebook", url.Values{"name": {"Eve"}, "addresses": {"666"}}, false); r.StatusCode != http.StatusForbidden {
		t.Errorf("add without CSRF: %s", r.Status)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// bannerOf is the success banner a redirect's ?ok= makes the next page show.
func bannerOf(location string) string {
	u, err := url.Parse(location)
	if err != nil {
		return ""
	}
	return noticeText(u.Query().Get("ok"))
}
