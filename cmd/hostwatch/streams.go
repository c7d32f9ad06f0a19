package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/hostwatch/hostwatch/internal/termtext"
)

// IOStreams are a command's input, outputs, clock and identity, injected so that
// tests can run commands in-process and compare what they print.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutIsTerminal makes tables the default output; JSON lines otherwise.
	OutIsTerminal bool
	// ErrIsTerminal lets long runs show a progress line on stderr.
	ErrIsTerminal bool
	// errTerminal is stderr itself, before Main makes what goes to ErrOut
	// inert: the progress line's own escapes go there.
	errTerminal io.Writer
	// Width is the width text output is fitted to: the terminal's, or 0
	// when unknown (the reports' default).
	Width int
	// Now is the clock used for report times.
	Now func() time.Time
	// Version is the tool version written into reports.
	Version string
	// Getenv reads the environment (LC_ALL and LANG, for the language of
	// reports); nil reads nothing.
	Getenv func(string) string
}

// SystemStreams returns the process's standard streams, clock and build version.
func SystemStreams() IOStreams {
	terminal := term.IsTerminal(int(os.Stdout.Fd()))
	return IOStreams{
		In:            os.Stdin,
		Out:           os.Stdout,
		ErrOut:        os.Stderr,
		OutIsTerminal: terminal,
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Width:         outputWidth(os.Getenv("COLUMNS"), terminal, os.Stdout.Fd()),
		Now:           time.Now,
		Version:       buildVersion(),
		Getenv:        os.Getenv,
	}
}

// outputWidth is the width of the terminal stdout goes to: $COLUMNS when
// it is set to a number, else what the terminal says, else 0 (unknown).
func outputWidth(columns string, terminal bool, fd uintptr) int {
	if n, err := strconv.Atoi(strings.TrimSpace(columns)); err == nil && n > 0 {
		return n
	}
	if terminal {
		if w, _, err := term.GetSize(int(fd)); err == nil && w > 0 {
			return w
		}
	}
	return 0
}

// buildVersion is the module version stamped by the go command: a tag for
// "go install …@vX", or a VCS pseudo-version for a build from a checkout.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "devel"
	}
	return info.Main.Version
}

// say writes one line of human-readable output, made inert for a terminal:
// dataset names, versions and notices come from files hostwatch downloaded.
func say(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, termtext.Safe(fmt.Sprintf(format, args...)))
}
