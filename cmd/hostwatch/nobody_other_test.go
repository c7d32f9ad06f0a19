//go:build !unix

package main

import "os/exec"

// asNobody does nothing where processes cannot be started as another user
// (os.Geteuid is -1 there, so readOnlyCommand never calls it).
func asNobody(*exec.Cmd) {}
