package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hostwatch/hostwatch/probe"
)

// outputFormats lists the formats -o takes, command by command: the one
// place the help, the check of -o and shell completion read them from.
func outputFormats(command string) []string {
	switch command {
	case "audit":
		return []string{"table", "json", "jsonl", "csv", "markdown", "html"}
	case "lookup":
		return []string{"table", "json", "jsonl", "csv"}
	case "check", "diff":
		return []string{"table", "json", "markdown", "html"}
	case "history":
		return []string{"table", "json", "csv", "markdown", "html"}
	case "status":
		return []string{"table", "json"}
	}
	return nil
}

// formatList words a list of formats: "table, json or markdown".
func formatList(formats []string) string {
	if len(formats) < 2 {
		return strings.Join(formats, "")
	}
	return strings.Join(formats[:len(formats)-1], ", ") + " or " + formats[len(formats)-1]
}

// checkFormat checks that -o names one of the formats a command writes.
func checkFormat(given string, allowed ...string) error {
	if slices.Contains(allowed, given) {
		return nil
	}
	return fmt.Errorf("unknown output format %q (want %s)", given, formatList(allowed))
}

// failOnNames are the values --fail-on takes (parseFailOn reads them).
func failOnNames() []string {
	return []string{"move", "country", "provider", "asn", "network", "addresses", "cname", "status", "gone", "new", "unresolved", "view", "any"}
}

// addCompletions makes shell completion offer the values of -o, --fail-on,
// --lang and --records, on every command that has them, instead of file names.
func addCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if f := c.Flags().Lookup("output"); f != nil {
			if formats := outputFormats(c.Name()); formats != nil {
				_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
			}
		}
		if c.Flags().Lookup("fail-on") != nil {
			_ = c.RegisterFlagCompletionFunc("fail-on", completeList(failOnNames()))
		}
		if c.Flags().Lookup("lang") != nil {
			_ = c.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions(langNames(), cobra.ShellCompDirectiveNoFileComp))
		}
		if c.Flags().Lookup("records") != nil {
			_ = c.RegisterFlagCompletionFunc("records", completeList(probe.RecordTypes()))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeList completes a comma-separated list of values: what is typed
// before the last comma is kept, and the last item is completed with the
// values not listed yet.
func completeList(values []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		listed := strings.Split(done, ",")
		var out []cobra.Completion
		for _, v := range values {
			if strings.HasPrefix(v, strings.ToLower(last)) && !slices.Contains(listed, v) {
				out = append(out, done+v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// versionTemplate is what --version prints: the first line of `hostwatch version`.
func versionTemplate() string {
	return fmt.Sprintf("hostwatch {{.Version}} (%s %s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
