package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/internal/termtext"
)

// Exit codes, documented in --help and the README.
const (
	exitOK          = 0   // done
	exitTargetsFail = 1   // done, but some targets failed (only with --strict)
	exitUsage       = 2   // usage or input error
	exitFailed      = 3   // the run itself could not be done
	exitInterrupted = 130 // stopped by Ctrl-C or SIGTERM; what finished was written
)

// exitHelp is the "Exit codes:" section of a command's help: the codes
// that command can return, each with what it means there.
func exitHelp(codes ...exitDoc) string {
	var b strings.Builder
	b.WriteString("Exit codes:")
	for _, c := range codes {
		fmt.Fprintf(&b, "\n  %-4d %s", c.code, c.meaning)
	}
	return b.String()
}

// exitDoc is one line of exitHelp.
type exitDoc struct {
	code    int
	meaning string
}

// The meanings every command shares, and the help of those with no others.
var (
	exitDone        = exitDoc{exitOK, "done"}
	exitWriteFailed = exitDoc{exitFailed, "output could not be written"}
	exitStopped     = exitDoc{exitInterrupted, "interrupted (Ctrl-C or SIGTERM): every domain started was written, in order, those cut short with status interrupted"}
	rootExitHelp    = exitHelp(exitDone,
		exitDoc{exitTargetsFail, "done, but something was found that the command was told to fail on (--strict, --fail-on, a policy)"},
		exitDoc{exitUsage, "usage or input error (bad flag, bad name or address, missing file, damaged or unreadable database or history file)"},
		exitDoc{exitFailed, "the run itself failed (no usable resolver, no resolver answered a single query, output could not be written)"},
		exitStopped) + "\n\nEach command's --help lists its own."
)

// runError marks failures of the run itself, not of its input.
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }

// errTargetsFailed is returned by --strict runs in which some target failed.
var errTargetsFailed = errors.New("some targets did not resolve")

// errInputRejected is returned after a run in which some inputs were invalid
// and were reported as such; the message was already printed.
var errInputRejected = errors.New("some inputs were invalid")

// Main runs hostwatch with args and returns the process exit code.
func Main(ctx context.Context, streams IOStreams, args []string) int {
	// Messages on stderr quote names, addresses and causes from outside;
	// nothing in them may drive the terminal.
	streams.errTerminal = streams.ErrOut
	errOut := termtext.NewWriter(streams.ErrOut)
	defer errOut.Flush()
	streams.ErrOut = errOut
	root := newRootCmd(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && !errors.Is(err, errInputRejected) && !errors.Is(err, errTargetsFailed) && !errors.Is(err, errCheckFailed) {
		msg := err.Error()
		if err == context.Canceled {
			msg = "interrupted; every domain started was written (those cut short as interrupted)"
		}
		fmt.Fprintf(streams.ErrOut, "hostwatch: %s\n", oneLine(msg))
	}
	return code
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var re runError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, errTargetsFailed), errors.Is(err, errCheckFailed):
		return exitTargetsFail
	case errors.Is(err, history.ErrDamaged), errors.Is(err, history.ErrNotDatabase), errors.Is(err, history.ErrNewerSchema):
		// A history file that cannot be used is the input's fault, wherever
		// it is found: on open, or while reading.
		return exitUsage
	case errors.As(err, &re):
		return exitFailed
	default:
		// Input errors, and the errors cobra returns for unknown commands,
		// flags and argument counts, are usage errors.
		return exitUsage
	}
}

// oneLine keeps error output to one line, whatever a wrapped cause contains.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newRootCmd(streams IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "hostwatch",
		Short: "Show, with evidence, where the servers behind a domain are hosted",
		Long: `hostwatch resolves domains and attributes every address to its network (ASN),
organisation, prefix and country, using real public datasets that every report names.

` + rootExitHelp,
		Version:       streams.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetVersionTemplate(versionTemplate())
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.AddCommand(newAuditCmd(streams), newLookupCmd(streams), newCheckCmd(streams),
		newHistoryCmd(streams), newDiffCmd(streams), newDBCmd(streams), newVersionCmd(streams))
	addCompletions(root)
	return root
}
