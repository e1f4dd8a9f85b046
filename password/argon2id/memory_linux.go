package argon2id

import "syscall"

func adviseHuge(b []byte) { syscall.Madvise(b, syscall.MADV_HUGEPAGE) }
