package resolvers

import (
	"errors"
	"fmt"
)

// Sentinel errors that a Result's Err (or an Exchange's failure) wraps, so that
// callers can tell causes apart with errors.Is.
var (
	// ErrInvalidName: the name is not a domain name that can be sent; nothing was asked.
	ErrInvalidName = errors.New("invalid domain name")
	// ErrCNAMELoop: a CNAME chain came back to a name already in it.
	ErrCNAMELoop = errors.New("CNAME loop")
	// ErrCNAMEChainTooLong: a CNAME chain went on past MaxCNAMEHops hops.
	ErrCNAMEChainTooLong = errors.New("CNAME chain too long")
	// ErrNXDomain: the resolver said the name does not exist.
	ErrNXDomain = errors.New("no such domain (NXDOMAIN)")
	// ErrNoData: the name exists but has no record of the type asked.
	ErrNoData = errors.New("the name has no A or AAAA records (NODATA)")
	// ErrServFail: the resolver answered SERVFAIL.
	ErrServFail = errors.New("server failure (SERVFAIL)")
	// ErrRefused: the resolver answered REFUSED.
	ErrRefused = errors.New("query refused (REFUSED)")
	// ErrTimeout: no acceptable reply came in time.
	ErrTimeout = errors.New("timeout")
	// ErrBadRcode: the resolver answered with an rcode other than NOERROR,
	// NXDOMAIN, SERVFAIL or REFUSED (FORMERR, NOTIMP, ...).
	ErrBadRcode = errors.New("unexpected rcode")
	// ErrConnRefused: the resolver's host reported that nothing listens on
	// the port (ICMP port unreachable).
	ErrConnRefused = errors.New("connection refused")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("resolver client closed")
)

// MaxCNAMEHops is how many CNAME records a chain may have before resolution
// stops with ErrCNAMEChainTooLong.
const MaxCNAMEHops = 16

// QueryError is the failure of the last attempt at one question: which name
// and type, which server, and why.
type QueryError struct {
	Name   string // empty when it is the name that was resolved
	Type   string // "A", "AAAA", or "A and AAAA"
	Server string
	Err    error
}

func (e *QueryError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("%s from %s: %v", e.Type, e.Server, e.Err)
	}
	return fmt.Sprintf("%s %s from %s: %v", e.Name, e.Type, e.Server, e.Err)
}

func (e *QueryError) Unwrap() error { return e.Err }
