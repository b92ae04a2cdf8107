// Package backup writes and reads the phone's backup file: one file,
// sealed under a passphrase the person chooses at export, that moves
// accounts (with saved passwords), OTR keys and trust, the ZRTP ZID and
// cache, the phonebook and the settings to a new phone (store.Snapshot).
//
// The sealing is crypto/vault's, unchanged: a fresh vault is created from
// the passphrase (argon2id with its own salt and parameters, wrapping a
// random key), and that key seals the payload with the file's clear prefix
// as associated data, so a changed byte anywhere fails to open.
//
//	magic "PADLOCK BACKUP\n" (15 bytes) | format version (1 byte)
//	| vault header length (2 bytes, big endian) | vault header
//	| sealed payload length (4 bytes, big endian) | sealed payload
//
// The payload is JSON: a version and named sections. A section this
// firmware does not know is an error naming it (a newer phone made the
// file), never skipped, since a backup that restores half would lose keys.
package backup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/store"
)

const (
	magic = "PADLOCK BACKUP\n"
	// Version is the format this firmware writes and the newest it reads.
	Version = 1
	// MaxFileSize bounds a backup: a full phonebook is about 1 MiB, keys
	// and accounts a few KiB.
	MaxFileSize  = 16 << 20
	maxHeaderLen = 1024
	prefixLen    = len(magic) + 1 + 2
)

// Errors, returned wrapped with details; test with errors.Is.
var (
	ErrNotBackup       = errors.New("backup: not a Padlock backup file")
	ErrTruncated       = errors.New("backup: the file is cut short (an incomplete download or copy?)")
	ErrTooNew          = errors.New("backup: the file was made by newer firmware; update this phone first")
	ErrWrongPassphrase = errors.New("backup: wrong passphrase (or the file's header was altered)")
	ErrDamaged         = errors.New("backup: the file was altered or damaged and does not open")
	ErrUnknownSection  = errors.New("backup: the file holds a section this firmware does not know (made by newer firmware?)")
)

// Export seals a snapshot under passphrase. p is the argon2id cost
// (vault.DefaultParams on a phone; tests pass vault.TestParams).
func Export(sn store.Snapshot, passphrase []byte, p vault.Params, now time.Time) ([]byte, error) {
	plain, err := encodePayload(sn, now)
	if err != nil {
		return nil, err
	}
	defer wipe(plain)
	v, err := vault.Create(passphrase, p)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer v.Lock()
	hdr := v.Header()
	var out bytes.Buffer
	out.WriteString(magic)
	out.WriteByte(Version)
	binary.Write(&out, binary.BigEndian, uint16(len(hdr)))
	out.Write(hdr)
	// The sealed length is known before sealing: the vault's overhead is
	// fixed, so seal once to learn it is not needed; seal an empty value.
	probe, err := v.Seal(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("backup: sealing: %w", err)
	}
	binary.Write(&out, binary.BigEndian, uint32(len(probe)+len(plain)))
	sealed, err := v.Seal(out.Bytes(), plain)
	if err != nil {
		return nil, fmt.Errorf("backup: sealing: %w", err)
	}
	if len(sealed) != len(probe)+len(plain) {
		return nil, errors.New("backup: the vault's sealing overhead is not fixed; the format needs a fix")
	}
	out.Write(sealed)
	return out.Bytes(), nil
}

// Open checks and opens a backup file. Nothing is written anywhere: the
// caller restores the snapshot (store.Restore, one transaction) and wipes it.
func Open(file, passphrase []byte) (store.Snapshot, error) {
	c, err := split(file)
	if err != nil {
		return store.Snapshot{}, err
	}
	v, err := vault.Load(c.header)
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("%w: its key header does not read: %v", ErrDamaged, err)
	}
	if err := v.Unlock(passphrase); err != nil {
		if errors.Is(err, vault.ErrWrongPassword) {
			return store.Snapshot{}, ErrWrongPassphrase
		}
		return store.Snapshot{}, fmt.Errorf("backup: %w", err)
	}
	defer v.Lock()
	plain, err := v.Open(c.ad, c.sealed)
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("%w (%v)", ErrDamaged, err)
	}
	defer wipe(plain)
	return decodePayload(plain)
}

// container is a file split into its parts, before any key is derived.
type container struct {
	ad, header, sealed []byte
}

// split checks the clear framing: cheap checks first, so a file that is
// not a backup, or is from a newer phone, is told apart before argon2id runs.
func split(file []byte) (container, error) {
	var c container
	switch {
	case len(file) > MaxFileSize:
		return c, fmt.Errorf("%w: %d bytes, more than a backup can be (%d)", ErrNotBackup, len(file), MaxFileSize)
	case len(file) < len(magic) || string(file[:len(magic)]) != magic:
		if len(file) < len(magic) && string(file) == magic[:len(file)] && len(file) > 0 {
			return c, ErrTruncated
		}
		return c, ErrNotBackup
	case len(file) < prefixLen:
		return c, ErrTruncated
	}
	if v := file[len(magic)]; v > Version {
		return c, fmt.Errorf("%w (format %d; this firmware reads up to %d)", ErrTooNew, v, Version)
	} else if v == 0 {
		return c, fmt.Errorf("%w: format version 0", ErrNotBackup)
	}
	n := int(binary.BigEndian.Uint16(file[len(magic)+1:]))
	if n == 0 || n > maxHeaderLen {
		return c, fmt.Errorf("%w: key header of %d bytes", ErrDamaged, n)
	}
	if len(file) < prefixLen+n+4 {
		return c, ErrTruncated
	}
	c.header = file[prefixLen : prefixLen+n]
	m := int64(binary.BigEndian.Uint32(file[prefixLen+n:]))
	rest := file[prefixLen+n+4:]
	switch {
	case int64(len(rest)) < m:
		return c, fmt.Errorf("%w: %d of %d bytes of the sealed part are there", ErrTruncated, len(rest), m)
	case int64(len(rest)) > m:
		return c, fmt.Errorf("%w: %d bytes after the end", ErrDamaged, int64(len(rest))-m)
	}
	c.ad = file[:prefixLen+n+4]
	c.sealed = rest
	return c, nil
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
