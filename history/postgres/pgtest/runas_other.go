//go:build !unix

package pgtest

import "os/exec"

// runAs does nothing where processes cannot be started as another user
// (os.Geteuid is -1 there, so it is never called).
func runAs(*exec.Cmd, uint32, uint32) {}
