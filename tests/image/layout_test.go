package image_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/image"
)

// TestImageLayout reads the built image the way the firmware, the kernel
// and gokrazy do: a FAT16 boot partition with one FAT and 4 sectors per
// cluster in which /cmdline.txt is found by its short name in the root
// directory and lies in consecutive clusters (gokrazy rewrites it in place
// there), a zlib squashfs root in p2, an empty p3 and an ext4 perm whose
// UUID is gokrazy's PARTUUID of partition 4.
func TestImageLayout(t *testing.T) {
	res, _ := buildImage(t)
	f, err := os.Open(pristineImg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := res.Layout
	read := func(off int64, n int) []byte {
		b := make([]byte, n)
		if _, err := f.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		return b
	}
	le16 := func(b []byte) int64 { return int64(binary.LittleEndian.Uint16(b)) }

	boot := int64(l.Start(1)) * 512
	bpb := read(boot, 512)
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"bytes per sector", le16(bpb[11:]), 512},
		{"sectors per cluster", int64(bpb[13]), 4},
		{"FAT copies", int64(bpb[16]), 1},
		{"boot signature", le16(bpb[510:]), 0xaa55},
	} {
		if c.got != c.want {
			t.Errorf("boot partition: %s %d, want %d", c.name, c.got, c.want)
		}
	}
	if string(bpb[54:62]) != "FAT16   " {
		t.Errorf("boot partition type %q, want FAT16", bpb[54:62])
	}
	reserved, fatSectors, rootEntries := le16(bpb[14:]), le16(bpb[22:]), le16(bpb[17:])
	rootDir := boot + (reserved+fatSectors)*512
	data := rootDir + (rootEntries*32+511)/512*512
	dir := read(rootDir, int(rootEntries)*32)
	var cluster, size int64 = -1, 0
	for i := 0; i < len(dir); i += 32 {
		if string(dir[i:i+11]) == "CMDLINE TXT" {
			cluster, size = le16(dir[i+26:]), int64(binary.LittleEndian.Uint32(dir[i+28:]))
		}
	}
	if cluster < 2 {
		t.Fatal("no CMDLINE.TXT entry in the boot partition's root directory")
	}
	want := image.Cmdline(l)
	got := string(read(data+(cluster-2)*4*512, int(size)))
	if strings.TrimRight(got, " ") != want || len(got) < len(want)+64 {
		t.Errorf("cmdline.txt at its first cluster is %q, want %q and 64 spaces of room", got, want)
	}
	fat := read(boot+reserved*512, int(fatSectors)*512)
	clusters := (size + 2047) / 2048
	for c := cluster; c < cluster+clusters-1; c++ {
		if next := le16(fat[2*c:]); next != c+1 {
			t.Fatalf("cmdline.txt is fragmented: cluster %d is followed by %d", c, next)
		}
	}

	sq := read(int64(l.Start(2))*512, 96)
	if string(sq[0:4]) != "hsqs" {
		t.Fatalf("partition 2 is not a squashfs: % x", sq[:4])
	}
	if comp := le16(sq[20:]); comp != 1 {
		t.Errorf("root compression %d, want 1 (zlib: the kernels read no other)", comp)
	}
	if int64(binary.LittleEndian.Uint32(sq[8:])) != cfg.Epoch {
		t.Errorf("root made at %d, want the epoch %d", binary.LittleEndian.Uint32(sq[8:]), cfg.Epoch)
	}
	if b := read(int64(l.Start(3))*512, 4096); !bytes.Equal(b, make([]byte, 4096)) {
		t.Errorf("partition 3 (the other root) is not empty")
	}
	sb := read(int64(l.Start(4))*512+1024, 256)
	if le16(sb[56:]) != 0xef53 {
		t.Fatalf("partition 4 is not ext4")
	}
	uuid, _ := hex.DecodeString(strings.ReplaceAll(l.PartUUID(4), "-", ""))
	if !bytes.Equal(sb[104:120], uuid) || string(bytes.TrimRight(sb[120:136], "\x00")) != "perm" {
		t.Errorf("perm UUID %x label %q, want %x perm", sb[104:120], sb[120:136], uuid)
	}
}
