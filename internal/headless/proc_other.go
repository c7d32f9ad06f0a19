//go:build !unix

package headless

import "os/exec"

// ownGroup does nothing where there are no process groups.
func ownGroup(*exec.Cmd) {}

// killGroup kills the browser; where there are no process groups its
// renderers end with it.
func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
