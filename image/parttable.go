package image

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"unicode/utf16"
)

// Layout is where the four partitions of a gokrazy disk lie, in 512-byte
// sectors: p1 boot (FAT16), p2 and p3 the A/B roots (squashfs), p4 perm
// (ext4). The sizes are gokrazy's, so gokrazy's updater, which writes a new
// root into the inactive one of p2/p3 and flips root= in /cmdline.txt, works
// unchanged.
type Layout struct {
	Sectors   uint64 // of the whole disk
	Partuuid  uint32 // gokrazy's per-installation ID: FNV-1a of the hostname
	BootStart uint64
	BootSize  uint64
	RootSize  uint64 // each of the two
	PermSize  uint64
}

const (
	sectorSize = 512
	mib        = 1 << 20
	// firstPartition is gokrazy's offset of p1 (4 MiB, aligned for SD cards).
	firstPartition = 8192
	bootSectors    = 100 * mib / sectorSize
	rootSectors    = 500 * mib / sectorSize
	// gptSectors is the room each GPT copy needs: the header and 128
	// entries of 128 bytes.
	gptSectors = 1 + 128*128/sectorSize
)

// Partuuid is gokrazy's installation ID for a hostname.
func Partuuid(hostname string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(hostname))
	return h.Sum32()
}

// NewLayout places the partitions on a disk of size bytes; perm takes what
// is left after boot and the two roots, short of the backup GPT.
func NewLayout(size int64, hostname string) (Layout, error) {
	l := Layout{
		Sectors:   uint64(size) / sectorSize,
		Partuuid:  Partuuid(hostname),
		BootStart: firstPartition,
		BootSize:  bootSectors,
		RootSize:  rootSectors,
	}
	permStart := l.Start(4)
	last := l.Sectors - 1 - gptSectors // last usable LBA
	if size%sectorSize != 0 || permStart+8*mib/sectorSize > last {
		return l, fmt.Errorf("disk of %d bytes: want a multiple of 512 of at least %d MiB", size, (permStart+8*mib/sectorSize+gptSectors+1)*sectorSize/mib+1)
	}
	l.PermSize = last + 1 - permStart
	return l, nil
}

// Start is the first sector of partition n (1 to 4).
func (l Layout) Start(n int) uint64 {
	switch n {
	case 1:
		return l.BootStart
	case 2:
		return l.BootStart + l.BootSize
	case 3:
		return l.BootStart + l.BootSize + l.RootSize
	default:
		return l.BootStart + l.BootSize + 2*l.RootSize
	}
}

// Size is the length of partition n in sectors.
func (l Layout) Size(n int) uint64 {
	switch n {
	case 1:
		return l.BootSize
	case 2, 3:
		return l.RootSize
	default:
		return l.PermSize
	}
}

// PartUUID is the GPT partition GUID gokrazy gives partition n (0 is the
// disk's own GUID): a fixed gokrazy prefix, the installation ID and n.
func (l Layout) PartUUID(n int) string {
	return fmt.Sprintf("60c24cc1-f3f9-427a-8199-%08x00%02x", l.Partuuid, n)
}

// RootArg is the root= value of the kernel command line. gokrazy's rootdev
// finds its disk by the boot partition's GUID and counts from there, so the
// updater can switch roots by changing only the offset.
func (l Layout) RootArg(rootPartition int) string {
	return fmt.Sprintf("PARTUUID=%s/PARTNROFF=%d", l.PartUUID(1), rootPartition-1)
}

var (
	typeEFISystem = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
	typeRootARM64 = "b921b045-1df0-41c3-af44-4c6f280d3fae"
	typeLinuxData = "0fc63daf-8483-4772-8e79-3d69d8477de4"
)

// guidBytes encodes a textual GUID in GPT's mixed-endian form.
func guidBytes(s string) ([16]byte, error) {
	var g [16]byte
	var a uint32
	var b, c uint16
	var d [8]byte
	if len(s) != 36 {
		return g, fmt.Errorf("GUID %q: want 36 characters", s)
	}
	if _, err := fmt.Sscanf(s, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", &a, &b, &c,
		&d[0], &d[1], &d[2], &d[3], &d[4], &d[5], &d[6], &d[7]); err != nil {
		return g, fmt.Errorf("GUID %q: %w", s, err)
	}
	binary.LittleEndian.PutUint32(g[0:], a)
	binary.LittleEndian.PutUint16(g[4:], b)
	binary.LittleEndian.PutUint16(g[6:], c)
	copy(g[8:], d[:])
	return g, nil
}

type gptEntry struct {
	Type, GUID  [16]byte
	First, Last uint64
	Attributes  uint64
	Name        [36]uint16
}

type gptHeader struct {
	Signature    [8]byte
	Revision     uint32
	HeaderSize   uint32
	HeaderCRC    uint32
	Reserved     uint32
	MyLBA        uint64
	AlternateLBA uint64
	FirstUsable  uint64
	LastUsable   uint64
	DiskGUID     [16]byte
	EntriesLBA   uint64
	EntriesCount uint32
	EntrySize    uint32
	EntriesCRC   uint32
}

func (l Layout) entries() ([]byte, error) {
	types := []string{typeEFISystem, typeRootARM64, typeLinuxData, typeLinuxData}
	names := []string{"boot", "root A", "root B", "perm"}
	var buf bytes.Buffer
	for n := 1; n <= 4; n++ {
		e := gptEntry{First: l.Start(n), Last: l.Start(n) + l.Size(n) - 1}
		var err error
		if e.Type, err = guidBytes(types[n-1]); err != nil {
			return nil, err
		}
		if e.GUID, err = guidBytes(l.PartUUID(n)); err != nil {
			return nil, err
		}
		copy(e.Name[:], utf16.Encode([]rune(names[n-1])))
		binary.Write(&buf, binary.LittleEndian, e)
	}
	buf.Write(make([]byte, 128*128-buf.Len()))
	return buf.Bytes(), nil
}

func (l Layout) header(entries []byte, primary bool) ([]byte, error) {
	last := l.Sectors - 1
	disk, err := guidBytes(l.PartUUID(0))
	if err != nil {
		return nil, err
	}
	h := gptHeader{
		Signature:    [8]byte{'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'},
		Revision:     0x00010000,
		HeaderSize:   92,
		MyLBA:        1,
		AlternateLBA: last,
		FirstUsable:  1 + gptSectors,
		LastUsable:   last - gptSectors,
		DiskGUID:     disk,
		EntriesLBA:   2,
		EntriesCount: 128,
		EntrySize:    128,
		EntriesCRC:   crc32.ChecksumIEEE(entries),
	}
	if !primary {
		h.MyLBA, h.AlternateLBA, h.EntriesLBA = last, 1, last-gptSectors+1
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, h)
	binary.LittleEndian.PutUint32(buf.Bytes()[16:], crc32.ChecksumIEEE(buf.Bytes()))
	buf.Write(make([]byte, sectorSize-buf.Len()))
	return buf.Bytes(), nil
}

// hybridMBR is sector 0: the boot partition as an active FAT32-LBA entry,
// which is what the Raspberry Pi's boot ROM reads, and a protective 0xEE
// entry over the primary GPT so that GPT-aware tools and Linux use the GPT.
func (l Layout) hybridMBR() []byte {
	mbr := make([]byte, sectorSize)
	entry := func(i int, active, typ byte, start, size uint64) {
		e := mbr[446+16*i:]
		e[0] = active
		copy(e[1:4], []byte{0xfe, 0xff, 0xff}) // CHS unused: LBA only
		e[4] = typ
		copy(e[5:8], []byte{0xfe, 0xff, 0xff})
		binary.LittleEndian.PutUint32(e[8:], uint32(start))
		binary.LittleEndian.PutUint32(e[12:], uint32(size))
	}
	entry(0, 0x80, 0x0c, l.BootStart, l.BootSize)
	entry(1, 0x00, 0xee, 1, l.BootStart-1)
	mbr[510], mbr[511] = 0x55, 0xaa
	return mbr
}

// WritePartitionTable writes the hybrid MBR and both GPT copies.
func (l Layout) WritePartitionTable(w io.WriterAt) error {
	entries, err := l.entries()
	if err != nil {
		return err
	}
	primary, err := l.header(entries, true)
	if err != nil {
		return err
	}
	backup, err := l.header(entries, false)
	if err != nil {
		return err
	}
	last := int64(l.Sectors - 1)
	for _, part := range []struct {
		lba  int64
		data []byte
	}{
		{0, l.hybridMBR()},
		{1, primary},
		{2, entries},
		{last - gptSectors + 1, entries},
		{last, backup},
	} {
		if _, err := w.WriteAt(part.data, part.lba*sectorSize); err != nil {
			return fmt.Errorf("partition table: %w", err)
		}
	}
	return nil
}

// ReadPartitionTable reads a disk's primary GPT back into a Layout, checking
// its CRCs, gokrazy's GUIDs and that the four partitions lie as a Layout
// places them.
func ReadPartitionTable(r io.ReaderAt) (Layout, error) {
	var l Layout
	hdr := make([]byte, sectorSize)
	if _, err := r.ReadAt(hdr, sectorSize); err != nil {
		return l, fmt.Errorf("GPT header: %w", err)
	}
	var h gptHeader
	binary.Read(bytes.NewReader(hdr), binary.LittleEndian, &h)
	if string(h.Signature[:]) != "EFI PART" || h.HeaderSize != 92 {
		return l, fmt.Errorf("no GPT header at sector 1")
	}
	check := append([]byte(nil), hdr[:92]...)
	binary.LittleEndian.PutUint32(check[16:], 0)
	if crc32.ChecksumIEEE(check) != h.HeaderCRC {
		return l, fmt.Errorf("GPT header checksum is wrong")
	}
	if h.EntrySize != 128 || h.EntriesCount != 128 || h.EntriesLBA != 2 {
		return l, fmt.Errorf("GPT with %d entries of %d bytes at sector %d: want 128 of 128 at 2", h.EntriesCount, h.EntrySize, h.EntriesLBA)
	}
	entries := make([]byte, 128*128)
	if _, err := r.ReadAt(entries, 2*sectorSize); err != nil {
		return l, fmt.Errorf("GPT entries: %w", err)
	}
	if crc32.ChecksumIEEE(entries) != h.EntriesCRC {
		return l, fmt.Errorf("GPT entries checksum is wrong")
	}
	var e [4]gptEntry
	binary.Read(bytes.NewReader(entries), binary.LittleEndian, &e)
	l = Layout{
		Sectors:   h.AlternateLBA + 1,
		Partuuid:  binary.BigEndian.Uint32(e[0].GUID[10:14]),
		BootStart: e[0].First,
	}
	for n := range 4 {
		if e[n].Last < e[n].First {
			return l, fmt.Errorf("partition %d ends before it starts", n+1)
		}
	}
	l.BootSize = e[0].Last - e[0].First + 1
	l.RootSize = e[1].Last - e[1].First + 1
	l.PermSize = e[3].Last - e[3].First + 1
	for n := 1; n <= 4; n++ {
		want, _ := guidBytes(l.PartUUID(n))
		if e[n-1].GUID != want || e[n-1].First != l.Start(n) || e[n-1].Last != l.Start(n)+l.Size(n)-1 {
			return l, fmt.Errorf("partition %d is not where a gokrazy layout puts it", n)
		}
	}
	return l, nil
}
