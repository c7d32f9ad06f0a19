package resolvers

import "errors"

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
	ErrNoData = errors.New("no records of that type (NODATA)")
	// ErrServFail: the resolver answered SERVFAIL.
	ErrServFail = errors.New("server failure (SERVFAIL)")
	// ErrRefused: the resolver answered REFUSED.
	ErrRefused = errors.New("query refused (REFUSED)")
	// ErrTimeout: no acceptable reply came in time.
	ErrTimeout = errors.New("timeout")
	// ErrBadRcode: the resolver answered with an rcode other than NOERROR,
	// NXDOMAIN, SERVFAIL or REFUSED (FORMERR, NOTIMP, ...).
	ErrBadRcode = errors.New("unexpected rcode")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("resolver client closed")
)

// MaxCNAMEHops is how many CNAME records a chain may have before resolution
// stops with ErrCNAMEChainTooLong.
const MaxCNAMEHops = 16
