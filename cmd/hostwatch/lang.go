package main

import (
	"github.com/spf13/pflag"

	"github.com/hostwatch/hostwatch/reports/i18n"
)

// langFlag is --lang, the language of report text: empty until given, so
// that the environment's language (LC_ALL, LANG) is the default.
type langFlag struct{ lang i18n.Lang }

func (f *langFlag) String() string { return string(f.lang) }
func (f *langFlag) Type() string   { return "LANG" }

// Set takes en or id (or a locale name such as id_ID.UTF-8); anything else
// is a usage error when the flags are parsed, before any work.
func (f *langFlag) Set(s string) error {
	l, err := i18n.Parse(s)
	if err != nil {
		return err
	}
	f.lang = l
	return nil
}

// resolve is the language asked for: --lang, else LC_ALL or LANG from
// getenv, else English.
func (f *langFlag) resolve(getenv func(string) string) i18n.Lang {
	if f.lang != "" {
		return f.lang
	}
	if getenv == nil {
		return i18n.English
	}
	return i18n.FromEnv(getenv)
}

// bindLang binds --lang.
func bindLang(fs *pflag.FlagSet, f *langFlag) {
	fs.Var(f, "lang", "write report text in `LANG`: en or id (Bahasa Indonesia); default: from LC_ALL or LANG, else en")
}

// langNames are the values --lang takes, for completion.
func langNames() []string {
	var out []string
	for _, l := range i18n.Langs() {
		out = append(out, string(l))
	}
	return out
}
