package hil

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
)

// cpioFile is one entry of an initramfs.
type cpioFile struct {
	name  string
	mode  uint32 // with the type bits: 0o100755, 0o040755, 0o020600
	data  []byte
	major uint32 // of a device node
	minor uint32
}

// initramfs writes files as a gzip-compressed cpio "newc" archive, the
// format the kernel unpacks into its first root file system.
func initramfs(path string, files []cpioFile) error {
	var raw bytes.Buffer
	pad := func() {
		for raw.Len()%4 != 0 {
			raw.WriteByte(0)
		}
	}
	write := func(ino int, f cpioFile) {
		// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
		// devminor, rdevmajor, rdevminor, namesize, check
		fmt.Fprintf(&raw, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, f.mode, 0, 0, 1, 0, len(f.data), 0, 0, f.major, f.minor, len(f.name)+1, 0)
		raw.WriteString(f.name)
		raw.WriteByte(0)
		pad()
		raw.Write(f.data)
		pad()
	}
	for i, f := range files {
		write(i+1, f)
	}
	write(len(files)+1, cpioFile{name: "TRAILER!!!"})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, gz.Bytes(), 0o644)
}
