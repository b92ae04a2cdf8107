package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/stanza"
)

// Bookmarks keep the rooms of an account on its server, so that they come
// back after a restart (and on the person's other clients): XEP-0402 (PEP
// node urn:xmpp:bookmarks:1, one item per room) where the server has it,
// else XEP-0048 in private XML storage (XEP-0049).

const (
	nsPubsub      = "http://jabber.org/protocol/pubsub"
	nsBookmarks2  = "urn:xmpp:bookmarks:1"
	nsPrivate     = "jabber:iq:private"
	nsBookmarks1  = "storage:bookmarks"
	nsDataForm    = "jabber:x:data"
	maxBookmarks  = 200
	bookmarksPEP  = "XEP-0402"
	bookmarksPriv = "XEP-0048"
)

// Bookmark is one saved room.
type Bookmark struct {
	Room, Name, Nick, Password string
	Autojoin                   bool
}

type conference2 struct {
	Name     string `xml:"name,attr"`
	Autojoin string `xml:"autojoin,attr"`
	Nick     string `xml:"nick"`
	Password string `xml:"password"`
}

type conference1 struct {
	JID      string `xml:"jid,attr"`
	Name     string `xml:"name,attr"`
	Autojoin string `xml:"autojoin,attr"`
	Nick     string `xml:"nick"`
	Password string `xml:"password"`
}

type pubsubReply struct {
	Items struct {
		Item []struct {
			ID         string       `xml:"id,attr"`
			Conference *conference2 `xml:"urn:xmpp:bookmarks:1 conference"`
		} `xml:"item"`
	} `xml:"items"`
}

type privateReply struct {
	Storage struct {
		Conferences []conference1 `xml:"conference"`
	} `xml:"storage:bookmarks storage"`
}

func isTrue(s string) bool { return s == "true" || s == "1" }

func el(space, local string, attrs []xml.Attr, inner ...xml.TokenReader) xml.TokenReader {
	return xmlstream.Wrap(xmlstream.MultiReader(inner...), xml.StartElement{Name: xml.Name{Space: space, Local: local}, Attr: attrs})
}

func attr(k, v string) xml.Attr { return xml.Attr{Name: xml.Name{Local: k}, Value: v} }

// Bookmarks returns the account's saved rooms, and which store holds them.
func (c *Client) Bookmarks(ctx context.Context) ([]Bookmark, string, error) {
	s, err := c.session()
	if err != nil {
		return nil, "", err
	}
	r, err := c.acct.sendIQ(ctx, s, stanza.IQ{Type: stanza.GetIQ},
		el(nsPubsub, "pubsub", nil, el("", "items", []xml.Attr{attr("node", nsBookmarks2)})))
	if err != nil {
		return nil, "", fmt.Errorf("read bookmarks: %w", err)
	}
	var re *RefusedError
	var pep []Bookmark
	switch err := replyErr(r); {
	case err == nil:
		if pep = r.Pubsub.bookmarks(); len(pep) > 0 {
			return pep, bookmarksPEP, nil
		}
	case errors.As(err, &re) && re.Condition == "item-not-found":
		// PEP works but the node is empty: the rooms may still be in
		// private storage (where a server without XEP-0402's publish
		// options, such as ejabberd 23.01, keeps them).
	default:
		out, err := c.privateBookmarks(ctx)
		return out, bookmarksPriv, err
	}
	priv, err := c.privateBookmarks(ctx)
	if err == nil && len(priv) > 0 {
		return priv, bookmarksPriv, nil
	}
	return nil, bookmarksPEP, nil
}

func (c *Client) privateBookmarks(ctx context.Context) ([]Bookmark, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	r, err := c.acct.sendIQ(ctx, s, stanza.IQ{Type: stanza.GetIQ},
		el(nsPrivate, "query", nil, el(nsBookmarks1, "storage", nil)))
	if err != nil {
		return nil, fmt.Errorf("read bookmarks: %w", err)
	}
	if err := replyErr(r); err != nil {
		return nil, fmt.Errorf("the server keeps no bookmarks (neither XEP-0402 nor XEP-0048): %w", err)
	}
	return r.Private.bookmarks(), nil
}

// bookmarks are the rooms of an XEP-0402 items reply (at most
// maxBookmarks; items that are not rooms are skipped).
func (p *pubsubReply) bookmarks() []Bookmark {
	if p == nil {
		return nil
	}
	var out []Bookmark
	for _, it := range p.Items.Item {
		room, err := parseRoom(it.ID)
		if err != nil || it.Conference == nil || len(out) == maxBookmarks {
			continue
		}
		cf := it.Conference
		out = append(out, Bookmark{Room: room.String(), Name: cf.Name, Nick: cf.Nick, Password: cf.Password, Autojoin: isTrue(cf.Autojoin)})
	}
	return out
}

// bookmarks are the rooms of an XEP-0048 storage reply.
func (p *privateReply) bookmarks() []Bookmark {
	if p == nil {
		return nil
	}
	var out []Bookmark
	for _, cf := range p.Storage.Conferences {
		room, err := parseRoom(cf.JID)
		if err != nil || len(out) == maxBookmarks {
			continue
		}
		out = append(out, Bookmark{Room: room.String(), Name: cf.Name, Nick: cf.Nick, Password: cf.Password, Autojoin: isTrue(cf.Autojoin)})
	}
	return out
}

// SaveBookmark adds or replaces the bookmark of b.Room.
func (c *Client) SaveBookmark(ctx context.Context, b Bookmark) error {
	room, err := parseRoom(b.Room)
	if err != nil {
		return err
	}
	b.Room = room.String()
	list, where, err := c.Bookmarks(ctx)
	if err != nil {
		return err
	}
	if where == bookmarksPEP {
		if err := c.publishBookmark(ctx, b); err == nil {
			return nil
		} else {
			c.acct.log.Warn("xmpp bookmark not published with XEP-0402; using XEP-0048", "err", err)
		}
		if list, err = c.privateBookmarks(ctx); err != nil {
			return err
		}
	}
	kept := list[:0]
	for _, o := range list {
		if o.Room != b.Room {
			kept = append(kept, o)
		}
	}
	return c.storePrivate(ctx, append(kept, b))
}

// RemoveBookmark deletes the bookmark of room, wherever it is kept.
func (c *Client) RemoveBookmark(ctx context.Context, room string) error {
	r, err := parseRoom(room)
	if err != nil {
		return err
	}
	list, where, err := c.Bookmarks(ctx)
	if err != nil {
		return err
	}
	if where == bookmarksPEP {
		s, err := c.session()
		if err != nil {
			return err
		}
		reply, err := c.acct.sendIQ(ctx, s, stanza.IQ{Type: stanza.SetIQ}, el(nsPubsub, "pubsub", nil,
			el("", "retract", []xml.Attr{attr("node", nsBookmarks2), attr("notify", "true")}, el("", "item", []xml.Attr{attr("id", r.String())}))))
		if err != nil {
			return fmt.Errorf("remove bookmark %s: %w", r, err)
		}
		if err := replyErr(reply); err != nil {
			return fmt.Errorf("remove bookmark %s: %w", r, err)
		}
		return nil
	}
	kept := list[:0]
	for _, o := range list {
		if o.Room != r.String() {
			kept = append(kept, o)
		}
	}
	return c.storePrivate(ctx, kept)
}

func textIf(name, v string) []xml.TokenReader {
	if v == "" {
		return nil
	}
	return []xml.TokenReader{textElement(name, v)}
}

func (c *Client) publishBookmark(ctx context.Context, b Bookmark) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	attrs := []xml.Attr{attr("autojoin", fmt.Sprint(b.Autojoin))}
	if b.Name != "" {
		attrs = append(attrs, attr("name", b.Name))
	}
	conf := el(nsBookmarks2, "conference", attrs, append(textIf("nick", b.Nick), textIf("password", b.Password)...)...)
	field := func(name, value string) xml.TokenReader {
		return el("", "field", []xml.Attr{attr("var", name)}, textElement("value", value))
	}
	// The node is private to the account (XEP-0402 §3.2's options).
	opts := el("", "publish-options", nil, el(nsDataForm, "x", []xml.Attr{attr("type", "submit")},
		el("", "field", []xml.Attr{attr("var", "FORM_TYPE"), attr("type", "hidden")}, textElement("value", nsPubsub+"#publish-options")),
		field("pubsub#persist_items", "true"),
		field("pubsub#max_items", "max"),
		field("pubsub#send_last_published_item", "never"),
		field("pubsub#access_model", "whitelist"),
	))
	payload := el(nsPubsub, "pubsub", nil,
		el("", "publish", []xml.Attr{attr("node", nsBookmarks2)}, el("", "item", []xml.Attr{attr("id", b.Room)}, conf)), opts)
	r, err := c.acct.sendIQ(ctx, s, stanza.IQ{Type: stanza.SetIQ}, payload)
	if err != nil {
		return err
	}
	return replyErr(r)
}

func (c *Client) storePrivate(ctx context.Context, list []Bookmark) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	var confs []xml.TokenReader
	for _, b := range list {
		attrs := []xml.Attr{attr("jid", b.Room), attr("autojoin", fmt.Sprint(b.Autojoin))}
		if b.Name != "" {
			attrs = append(attrs, attr("name", b.Name))
		}
		confs = append(confs, el("", "conference", attrs, append(textIf("nick", b.Nick), textIf("password", b.Password)...)...))
	}
	r, err := c.acct.sendIQ(ctx, s, stanza.IQ{Type: stanza.SetIQ}, el(nsPrivate, "query", nil, el(nsBookmarks1, "storage", nil, confs...)))
	if err != nil {
		return fmt.Errorf("save bookmarks: %w", err)
	}
	if err := replyErr(r); err != nil {
		return fmt.Errorf("save bookmarks: %w", err)
	}
	return nil
}
