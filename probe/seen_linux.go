//go:build linux

package probe

import "syscall"

// mapNoReserve asks for address space without swap reserved for it.
const mapNoReserve = syscall.MAP_NORESERVE
