//go:build unix && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64 || mips64 || mips64le || ppc64)

package probe

import (
	"syscall"
	"unsafe"
)

// seenReserve is the address space Seen reserves for its sorted hashes:
// 1 GiB, room for 128 million names. Only the pages written cost memory.
const seenReserve = 1 << 30

// reserveHashes returns an empty slice whose array is anonymous memory
// mapped outside the Go heap: the collector neither scans it nor counts it
// in the heap it lets grow to twice what is live, so a million names cost
// their 8 MB and no more. Without such a mapping it returns nil, and the
// array is an ordinary one. The mapping lasts until Release.
func reserveHashes() []uint64 {
	mem, err := syscall.Mmap(-1, 0, seenReserve, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(mem))), seenReserve/8)[:0]
}

// releaseHashes unmaps what reserveHashes mapped (given whole).
func releaseHashes(mapped []uint64) {
	syscall.Munmap(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(mapped))), len(mapped)*8))
}
