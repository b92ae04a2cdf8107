package webadmin

import "syscall"

// diskSpace is the free and total bytes of the file system holding dir.
func diskSpace(dir string) (free, total int64, ok bool) {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0, 0, false
	}
	return int64(st.Bavail) * st.Bsize, int64(st.Blocks) * st.Bsize, true
}
