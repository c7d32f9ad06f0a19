// Package cputime reads the CPU time the process has used, for benchmarks:
// on a loaded machine it varies less than the wall clock.
package cputime
