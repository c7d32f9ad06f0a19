package reports

import (
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/frontdoor"
	"github.com/hostwatch/hostwatch/reports/i18n"
	"github.com/hostwatch/hostwatch/resolvers"
)

// The failures of the opt-in lookups, worded like a domain's reason: in
// English the words the error was made with, as the JSON has them; in
// another language from the codes the model keeps next to them (a status,
// a kind of error, a failure's code), through the catalogue. The English
// words name servers and addresses that the codes do not: the JSON keeps
// them in every language.

// queryFailure words why one query failed: its kind of error when it has
// one (the names of a CNAME loop included), else its status.
func queryFailure(pr *i18n.Printer, st resolvers.Status, kind probe.ErrorKind, chain []resolvers.Hop) string {
	if kind != probe.ErrorNone {
		return reasonDetail(pr, probe.Observation{Status: st, ErrorKind: kind, CNAMEChain: chain})
	}
	switch st {
	case resolvers.StatusTimeout, resolvers.StatusServFail, resolvers.StatusRefused, resolvers.StatusNXDomain,
		resolvers.StatusNoData, resolvers.StatusInterrupted:
		return pr.T("query.status." + string(st))
	}
	return pr.T("query.status.error")
}

// answerFailure words why one resolver's answer (--resolvers,
// --authoritative) failed.
func answerFailure(pr *i18n.Printer, a probe.ResolverAnswer) string {
	switch {
	case pr.Lang() == i18n.English || a.Error == "":
		return a.Error
	case a.Refused != nil:
		return pr.T("note.not-asked", a.Refused.SpecialUse)
	}
	return queryFailure(pr, a.Status, a.ErrorKind, a.CNAMEChain)
}

// recordFailure words why a --records type could not be asked.
func recordFailure(pr *i18n.Printer, rs probe.RecordSet) string {
	if pr.Lang() == i18n.English || rs.Error == "" {
		return rs.Error
	}
	return queryFailure(pr, rs.Status, rs.ErrorKind, nil)
}

// fetchFailure words why a front-page fetch (--http), or one hop of it,
// failed, from its failure's code ("" for none: a report older than
// the code says the request failed).
func fetchFailure(pr *i18n.Printer, english, code string) string {
	if pr.Lang() == i18n.English || english == "" {
		return english
	}
	switch code {
	case "generic_timeout_error", "connection_refused", "connection_reset", "host_unreachable", "network_unreachable",
		"ssl_failed_handshake", "eof_error", "interrupted", "dns_no_answer", "dns_lookup_error", "refused",
		"redirect_loop", "too_many_redirects", "bad_redirect", "bad_domain":
		return pr.T("http.failure." + code)
	}
	return pr.T("http.failure.unknown_failure")
}

// certFailure words why a certificate is not trusted.
func certFailure(pr *i18n.Printer, t *frontdoor.TLSInfo) string {
	if pr.Lang() == i18n.English || t.VerifyError == "" {
		return t.VerifyError
	}
	switch t.VerifyFailure {
	case "no_certificate", "self_signed", "expired", "wrong_name", "unknown_authority":
		return pr.T("cert.failure." + t.VerifyFailure)
	}
	return pr.T("cert.failure.invalid")
}

// egressFailure words why a resolver's egress address is unknown.
func egressFailure(pr *i18n.Printer, e probe.Egress) string {
	switch {
	case pr.Lang() == i18n.English || e.Error == "":
		return e.Error
	case e.Rcode != "":
		return pr.T("query.rcode", e.Rcode)
	case e.Status == resolvers.StatusNoData:
		return pr.T("egress.nodata")
	}
	return queryFailure(pr, e.Status, probe.ErrorNone, nil)
}

// rttFailure words why round trips (--rtt) got no answer.
func rttFailure(pr *i18n.Printer, r *probe.RTT) string {
	if pr.Lang() == i18n.English || r.Error == "" {
		return r.Error
	}
	switch r.Failure {
	case "timeout", "host_unreachable", "network_unreachable", "interrupted":
		return pr.T("rtt.failure." + r.Failure)
	}
	return pr.T("rtt.failure.unknown_failure")
}
