// Package image writes the disk image of a Padlock phone: a gokrazy
// installation (GPT with a hybrid MBR; a FAT16 boot partition with the
// Raspberry Pi kernel, device trees, firmware and EEPROM update; two squashfs
// roots for A/B updates; an ext4 perm partition) whose root holds gokrazy's
// init, its network services and the appliance. The same image boots on a
// Raspberry Pi and under qemu-system-aarch64 -M virt (see Boot).
//
// The file systems are made by Debian's own tools (mkfs.vfat and mtools,
// mksquashfs, mkfs.ext4): they write exactly the layouts the kernel and
// gokrazy read (one FAT copy with 4 sectors per cluster, zlib squashfs), and
// they can be made reproducible with fixed times and IDs. The partition
// table is written here, because sfdisk cannot write a hybrid MBR.
package image

import (
	// The kernel, firmware and EEPROM modules hold no code, only the files
	// copied onto the boot partition; importing them keeps them in go.mod.
	_ "github.com/gokrazy/firmware"
	_ "github.com/gokrazy/kernel.rpi"
	_ "github.com/gokrazy/rpi-eeprom"
)
