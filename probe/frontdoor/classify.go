package frontdoor

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"

	"github.com/hostwatch/hostwatch/probe/reach"
)

// revealing returns the headers of h that reveal hosting or a CDN, keys
// canonical and values as sent; nil when there are none.
func revealing(h http.Header) map[string][]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys) // so that values of keys that canonicalise alike merge in a stable order
	var out map[string][]string
	for _, k := range keys {
		if !isRevealing(k) {
			continue
		}
		if out == nil {
			out = map[string][]string{}
		}
		ck := http.CanonicalHeaderKey(k)
		out[ck] = append(out[ck], h[k]...)
	}
	return out
}

// isRevealing reports, case-insensitively, whether the header name is one
// that CDNs, load balancers and hosting platforms set.
func isRevealing(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "server", "via", "x-cache", "x-cache-hits", "x-served-by", "cf-ray",
		"cf-cache-status", "eagleid", "x-amz-cf-id", "x-amz-cf-pop", "x-azure-ref",
		"akamai-grn", "x-powered-by", "x-varnish", "fly-request-id":
		return true
	}
	for _, prefix := range [...]string{"x-akamai-", "x-fastly-", "x-swift-", "ali-swift-", "x-cdn", "x-edge-"} {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// resultFailure classifies why a whole fetch failed: the redirect chain's
// own failures, else the failing hop's (failure).
func resultFailure(err error) string {
	switch {
	case errors.Is(err, errRedirectLoop):
		return "redirect_loop"
	case errors.Is(err, errTooManyRedirect):
		return "too_many_redirects"
	case errors.Is(err, errBadRedirect):
		return "bad_redirect"
	case errors.Is(err, errBadDomain):
		return "bad_domain"
	}
	return failure(err)
}

// failure classifies err in OONI's failure vocabulary where a word fits.
func failure(err error) string {
	var ne net.Error
	var re *resolveError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "generic_timeout_error"
	case errors.Is(err, reach.ErrRefused):
		return "refused"
	case errors.Is(err, errNoAddresses):
		return "dns_no_answer"
	case errors.As(err, &re):
		return "dns_lookup_error"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection_reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host_unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network_unreachable"
	case errors.Is(err, errTLS):
		return "ssl_failed_handshake"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof_error"
	}
	return "unknown_failure"
}
