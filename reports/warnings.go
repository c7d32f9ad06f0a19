package reports

import (
	"net/netip"

	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/reports/i18n"
)

// WarningJSON is the JSON form of a warning: its stable code, the
// arguments the code takes (absent when it takes none of them), and its
// words in English. A report's "warnings" lists the same words, one string
// per warning, for readers of reports older than codes.
type WarningJSON struct {
	Code    string `json:"code"`
	Dataset string `json:"dataset,omitempty"`
	Version string `json:"version,omitempty"`
	Days    int    `json:"days,omitempty"`
	Count   int    `json:"count,omitempty"`
	Address string `json:"address,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Message string `json:"message"`
}

// newWarningsJSON is the JSON of warnings: their details, and their words
// in English for "warnings".
func newWarningsJSON(ws []probe.Warning) (details []WarningJSON, messages []string) {
	details, messages = make([]WarningJSON, 0, len(ws)), make([]string, 0, len(ws))
	if len(ws) == 0 {
		return details, messages
	}
	pr, err := i18n.New(i18n.English)
	for _, w := range ws {
		msg := string(w.Code) + ": " + w.Detail // only when the embedded catalogue is broken, which tests catch
		if err == nil {
			msg = warningText(pr, w)
		}
		j := WarningJSON{Code: string(w.Code), Dataset: w.Dataset, Version: w.Version, Days: w.Days, Count: w.Count,
			Detail: w.Detail, Message: msg}
		if w.Address.IsValid() {
			j.Address = w.Address.String()
		}
		details, messages = append(details, j), append(messages, msg)
	}
	return details, messages
}

// warningText words a warning in pr's language. A code this version does
// not know (from a later version's report) shows as itself, with its detail.
func warningText(pr *i18n.Printer, w probe.Warning) string {
	addr := ""
	if w.Address.IsValid() {
		addr = w.Address.String()
	}
	switch w.Code {
	case probe.WarningStale:
		return pr.T("warning.stale_dataset", w.Dataset, w.Version, w.Days)
	case probe.WarningLookupsFailed, probe.WarningCountryDropped:
		return pr.N("warning."+string(w.Code), w.Count, w.Dataset, addr, w.Detail)
	case probe.WarningText:
		return w.Detail
	}
	if w.Detail == "" {
		return string(w.Code)
	}
	return string(w.Code) + ": " + w.Detail
}

// warningTexts words warnings in pr's language.
func warningTexts(pr *i18n.Printer, ws []probe.Warning) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, warningText(pr, w))
	}
	return out
}

// readWarnings reads a report's warnings back: from their details when
// the report has them (in step with its "warnings"), else from the words
// of a report older than codes.
func readWarnings(messages []string, details []WarningJSON) []probe.Warning {
	if len(details) == 0 {
		var out []probe.Warning
		for _, m := range messages {
			out = append(out, probe.Warning{Code: probe.WarningText, Detail: m})
		}
		return out
	}
	out := make([]probe.Warning, 0, len(details))
	for _, d := range details {
		w := probe.Warning{Code: probe.WarningCode(d.Code), Dataset: d.Dataset, Version: d.Version, Days: d.Days, Count: d.Count, Detail: d.Detail}
		if a, err := netip.ParseAddr(d.Address); err == nil {
			w.Address = a
		}
		if !known(w.Code) {
			// A later version's code: keep its words, which this version cannot make.
			w = probe.Warning{Code: probe.WarningText, Detail: d.Message}
		}
		out = append(out, w)
	}
	return out
}

func known(c probe.WarningCode) bool {
	switch c {
	case probe.WarningStale, probe.WarningLookupsFailed, probe.WarningCountryDropped, probe.WarningText:
		return true
	}
	return false
}

// englishWarnings words warnings in English.
func englishWarnings(ws []probe.Warning) []string {
	_, messages := newWarningsJSON(ws)
	return messages
}
