//go:build !linux

package probe

const mapNoReserve = 0
