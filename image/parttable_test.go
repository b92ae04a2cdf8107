package image

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// memDisk is a sparse in-memory disk: sector number to contents.
type memDisk map[int64][]byte

func (m memDisk) WriteAt(p []byte, off int64) (int, error) {
	for i := range p {
		s, o := (off+int64(i))/sectorSize, (off+int64(i))%sectorSize
		if m[s] == nil {
			m[s] = make([]byte, sectorSize)
		}
		m[s][o] = p[i]
	}
	return len(p), nil
}

func (m memDisk) ReadAt(p []byte, off int64) (int, error) {
	for i := range p {
		s, o := (off+int64(i))/sectorSize, (off+int64(i))%sectorSize
		p[i] = 0
		if m[s] != nil {
			p[i] = m[s][o]
		}
	}
	return len(p), nil
}

func TestNewLayout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		size    int64
		wantErr bool
		perm    uint64 // sectors
	}{
		{"2 GB card", DefaultSize, false, 3906250 - 1 - 33 - 2260992 + 1},
		{"too small", 1100 * mib, true, 0},
		{"odd size", DefaultSize + 1, true, 0},
		{"just enough", (firstPartition+bootSectors+2*rootSectors+8*mib/sectorSize+34)*sectorSize + sectorSize, false, 8*mib/sectorSize + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLayout(tc.size, "padlock")
			if (err != nil) != tc.wantErr {
				t.Fatalf("NewLayout(%d) error %v, want error %v", tc.size, err, tc.wantErr)
			}
			if err == nil && l.PermSize != tc.perm {
				t.Errorf("perm %d sectors, want %d", l.PermSize, tc.perm)
			}
		})
	}
}

func TestGokrazyNames(t *testing.T) {
	l, err := NewLayout(DefaultSize, "padlock")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ got, want string }{
		{l.PartUUID(1), "60c24cc1-f3f9-427a-8199-7b3b31e50001"},
		{l.PartUUID(4), "60c24cc1-f3f9-427a-8199-7b3b31e50004"},
		{l.RootArg(2), "PARTUUID=60c24cc1-f3f9-427a-8199-7b3b31e50001/PARTNROFF=1"},
		{l.RootArg(3), "PARTUUID=60c24cc1-f3f9-427a-8199-7b3b31e50001/PARTNROFF=2"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if !strings.Contains(Cmdline(l), " root=PARTUUID=") || !strings.Contains(Cmdline(l), "init=/gokrazy/init") {
		t.Errorf("cmdline %q", Cmdline(l))
	}
}

func TestPartitionTableRoundTrip(t *testing.T) {
	for _, host := range []string{"padlock", "desk-2"} {
		l, err := NewLayout(DefaultSize, host)
		if err != nil {
			t.Fatal(err)
		}
		l2, err := NewLayout(1200*mib, host)
		if err != nil {
			t.Fatal(err)
		}
		disk := memDisk{}
		if err := l2.WritePartitionTable(disk); err != nil {
			t.Fatal(err)
		}
		got, err := ReadPartitionTable(disk)
		if err != nil {
			t.Fatal(err)
		}
		if got != l2 {
			t.Errorf("%s: read %+v, wrote %+v", host, got, l2)
		}
		if l.Partuuid != l2.Partuuid {
			t.Errorf("partuuid depends on the size")
		}
		// A flipped byte in an entry is caught by the checksum.
		disk[2][40] ^= 1
		if _, err := ReadPartitionTable(disk); err == nil {
			t.Errorf("damaged entries were accepted")
		}
	}
}

// TestSfdiskReadsTable checks the table with an independent reader:
// util-linux's sfdisk must see a valid GPT with gokrazy's GUIDs.
func TestSfdiskReadsTable(t *testing.T) {
	sfdisk, err := exec.LookPath("sfdisk")
	if err != nil {
		t.Fatal("sfdisk not found: apt-get install fdisk (or make deps)")
	}
	l, err := NewLayout(1200*mib, "padlock")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(1200 * mib)
	if err := l.WritePartitionTable(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command(sfdisk, "--json", name).CombinedOutput()
	if err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	var pt struct {
		PartitionTable struct {
			Label      string
			ID         string
			Partitions []struct {
				Start, Size uint64
				Type, UUID  string
			}
		}
	}
	if err := json.Unmarshal(out, &pt); err != nil {
		t.Fatal(err)
	}
	p := pt.PartitionTable
	if p.Label != "gpt" || !strings.EqualFold(p.ID, l.PartUUID(0)) || len(p.Partitions) != 4 {
		t.Fatalf("sfdisk sees %s", out)
	}
	for i, part := range p.Partitions {
		n := i + 1
		if part.Start != l.Start(n) || part.Size != l.Size(n) || !strings.EqualFold(part.UUID, l.PartUUID(n)) {
			t.Errorf("partition %d: sfdisk sees %+v", n, part)
		}
	}
	if !strings.EqualFold(p.Partitions[1].Type, typeRootARM64) {
		t.Errorf("root type %s", p.Partitions[1].Type)
	}
	if err := exec.Command(sfdisk, "--verify", name).Run(); err != nil {
		t.Errorf("sfdisk --verify: %v", err)
	}
}

func TestHybridMBR(t *testing.T) {
	l, _ := NewLayout(1200*mib, "padlock")
	disk := memDisk{}
	l.WritePartitionTable(disk)
	mbr := disk[0]
	want := []byte{0x80, 0xfe, 0xff, 0xff, 0x0c, 0xfe, 0xff, 0xff, 0x00, 0x20, 0, 0, 0x00, 0x20, 0x03, 0}
	if !bytes.Equal(mbr[446:462], want) {
		t.Errorf("boot entry % x, want % x", mbr[446:462], want)
	}
	if mbr[446+16+4] != 0xee || mbr[510] != 0x55 || mbr[511] != 0xaa {
		t.Errorf("protective entry or signature missing: % x", mbr[446:])
	}
}

func FuzzReadPartitionTable(f *testing.F) {
	l, _ := NewLayout(1200*mib, "padlock")
	full := memDisk{}
	l.WritePartitionTable(full)
	seed := make([]byte, 34*sectorSize)
	full.ReadAt(seed, 0)
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := memDisk{}
		d.WriteAt(b, 0)
		got, err := ReadPartitionTable(d)
		if err != nil {
			return
		}
		// Whatever it accepts is a layout that writes back to the same
		// primary table.
		back := memDisk{}
		if err := got.WritePartitionTable(back); err != nil {
			t.Fatal(err)
		}
		again, err := ReadPartitionTable(back)
		if err != nil || again != got {
			t.Fatalf("accepted %+v, rewritten reads %+v, %v", got, again, err)
		}
	})
}
