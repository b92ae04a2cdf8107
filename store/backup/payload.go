package backup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/store"
)

// payload is the sealed JSON. Sections are named so that a later firmware
// can add one (rooms, say) and an older one says which it cannot take.
type payload struct {
	Version  int                        `json:"version"`
	Created  time.Time                  `json:"created"`
	Sections map[string]json.RawMessage `json:"sections"`
}

// The sections of format 1, each decoded strictly (unknown fields are an error).
const (
	secAccounts   = "accounts"
	secGroups     = "contact_groups"
	secDeviceKeys = "device_keys"
	secPhonebook  = "phonebook"
	secSettings   = "settings"
)

var known = []string{secAccounts, secGroups, secDeviceKeys, secPhonebook, secSettings}

type accountJSON struct {
	Kind           store.Kind      `json:"kind"`
	User           string          `json:"user"`
	Server         string          `json:"server"`
	Port           int             `json:"port"`
	Transport      store.Transport `json:"transport"`
	Proxy          string          `json:"proxy"`
	DisplayName    string          `json:"display_name"`
	Enabled        bool            `json:"enabled"`
	TLSFingerprint string          `json:"tls_fingerprint"`
	Password       []byte          `json:"password,omitempty"` // absent: not saved
	Contacts       []contactJSON   `json:"contacts"`
	Keys           []keyJSON       `json:"keys"`
}

type contactJSON struct {
	Address     string `json:"address"`
	DisplayName string `json:"display_name"`
	Group       string `json:"group"`
}

type keyJSON struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Blob []byte `json:"blob"`
}

type entryJSON struct {
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
	Favourite int      `json:"favourite"`
}

func encodePayload(sn store.Snapshot, now time.Time) ([]byte, error) {
	var accs []accountJSON
	for _, a := range sn.Accounts {
		aj := accountJSON{Kind: a.Account.Kind, User: a.Account.User, Server: a.Account.Server, Port: a.Account.Port,
			Transport: a.Account.Transport, Proxy: a.Account.Proxy, DisplayName: a.Account.DisplayName,
			Enabled: a.Account.Enabled, TLSFingerprint: a.Account.TLSFingerprint, Password: a.Password,
			Contacts: []contactJSON{}, Keys: []keyJSON{}}
		for _, c := range a.Contacts {
			aj.Contacts = append(aj.Contacts, contactJSON{c.Address, c.DisplayName, c.Group})
		}
		aj.Keys = keysJSON(a.Keys)
		accs = append(accs, aj)
	}
	var pb []entryJSON
	for _, e := range sn.Phonebook {
		pb = append(pb, entryJSON{e.Name, e.Addresses, e.Favourite})
	}
	settings := map[string]bool{}
	for k, v := range sn.Settings {
		settings[string(k)] = v
	}
	p := payload{Version: Version, Created: now.UTC(), Sections: map[string]json.RawMessage{}}
	for name, v := range map[string]any{
		secAccounts: orEmpty(accs), secGroups: orEmpty(sn.Groups), secDeviceKeys: keysJSON(sn.DeviceKeys),
		secPhonebook: orEmpty(pb), secSettings: settings,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("backup: section %s: %w", name, err)
		}
		p.Sections[name] = b
	}
	return json.Marshal(p)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func keysJSON(ks []store.Key) []keyJSON {
	out := []keyJSON{}
	for _, k := range ks {
		out = append(out, keyJSON{k.Kind, k.Name, k.Blob})
	}
	return out
}

// decodePayload reads the opened JSON into a snapshot. It runs only on
// bytes that authenticated under the passphrase, but is strict anyway: a
// backup made by a buggy or newer firmware must fail whole, not restore
// part of itself.
func decodePayload(b []byte) (store.Snapshot, error) {
	var sn store.Snapshot
	var p payload
	if err := strictJSON(b, &p); err != nil {
		return sn, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if p.Version > Version {
		return sn, fmt.Errorf("%w (payload version %d; this firmware reads up to %d)", ErrTooNew, p.Version, Version)
	}
	if p.Version < 1 {
		return sn, fmt.Errorf("%w: payload version %d", ErrDamaged, p.Version)
	}
	var unknown []string
	for name := range p.Sections {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return sn, fmt.Errorf("%w: %s", ErrUnknownSection, strings.Join(unknown, ", "))
	}
	for _, name := range known {
		if _, ok := p.Sections[name]; !ok {
			return sn, fmt.Errorf("%w: section %s is missing", ErrDamaged, name)
		}
	}
	var accs []accountJSON
	var dev []keyJSON
	var pb []entryJSON
	var settings map[string]bool
	for name, into := range map[string]any{secAccounts: &accs, secGroups: &sn.Groups, secDeviceKeys: &dev, secPhonebook: &pb, secSettings: &settings} {
		if err := strictJSON(p.Sections[name], into); err != nil {
			return sn, fmt.Errorf("%w: section %s: %v", ErrDamaged, name, err)
		}
	}
	for _, a := range accs {
		as := store.AccountSnapshot{Account: store.Account{Kind: a.Kind, User: a.User, Server: a.Server, Port: a.Port,
			Transport: a.Transport, Proxy: a.Proxy, DisplayName: a.DisplayName, Enabled: a.Enabled,
			TLSFingerprint: a.TLSFingerprint, HasPassword: a.Password != nil}, Password: a.Password}
		for _, c := range a.Contacts {
			as.Contacts = append(as.Contacts, store.ContactSnapshot{Address: c.Address, DisplayName: c.DisplayName, Group: c.Group})
		}
		as.Keys = keysOf(a.Keys)
		sn.Accounts = append(sn.Accounts, as)
	}
	sn.DeviceKeys = keysOf(dev)
	for _, e := range pb {
		sn.Phonebook = append(sn.Phonebook, store.PhonebookEntry{Name: e.Name, Addresses: e.Addresses, Favourite: e.Favourite})
	}
	sn.Settings = map[store.Setting]bool{}
	for k, v := range settings {
		if newer := store.Replaces(k); newer != nil {
			// A backup from before the setting was split: its value
			// sets each setting that replaced it, unless the file also
			// names that one itself.
			for _, n := range newer {
				if _, own := settings[string(n)]; !own {
					sn.Settings[n] = v
				}
			}
			continue
		}
		if _, ok := store.Defaults[store.Setting(k)]; !ok || store.Setting(k) == store.KeepUnlocked {
			return sn, fmt.Errorf("%w: setting %q", ErrUnknownSection, k)
		}
		sn.Settings[store.Setting(k)] = v
	}
	return sn, nil
}

func keysOf(ks []keyJSON) []store.Key {
	var out []store.Key
	for _, k := range ks {
		out = append(out, store.Key{Kind: k.Kind, Name: k.Name, Blob: k.Blob})
	}
	return out
}

func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("data after the end")
	}
	return nil
}
