package cymru

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseOrigin parses the text of one TXT record of an origin query, such as
// "23028 | 216.90.108.0/24 | US | arin | 1998-09-25". The first field may hold
// several ASNs separated by spaces ("15169 36040 | …"), when more than one AS
// announces the prefix. The ASNs and the prefix are required; the country,
// registry and allocation date may be missing or empty, and are kept as given
// (trimmed). Empty fields after the fifth are allowed, other extra fields are not.
func ParseOrigin(txt string) (Origin, error) {
	f := strings.Split(txt, "|")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	if len(f) < 2 {
		return Origin{}, errors.New("want at least ASN | prefix")
	}
	if err := extraFields(f, 5); err != nil {
		return Origin{}, err
	}
	var o Origin
	for s := range strings.FieldsSeq(f[0]) {
		n, err := parseASN(s)
		if err != nil {
			return Origin{}, err
		}
		o.ASNs = append(o.ASNs, n)
	}
	if len(o.ASNs) == 0 {
		return Origin{}, errors.New("no ASN")
	}
	p, err := netip.ParsePrefix(f[1])
	if err != nil {
		return Origin{}, fmt.Errorf("prefix: %w", err)
	}
	if p != p.Masked() {
		return Origin{}, fmt.Errorf("prefix %s has host bits set", p)
	}
	o.Prefix = p
	o.Country, o.Registry, o.Allocated = field(f, 2), field(f, 3), field(f, 4)
	return o, nil
}

// ParseAS parses the text of the TXT record of an AS query, such as
// "23028 | US | arin | 2002-01-04 | TEAMCYMRU - SAVVIS, US". Everything after
// the fourth "|" is the description, which may itself contain "|". Only the
// ASN is required; the other fields are kept as given (trimmed), empty when
// missing.
func ParseAS(txt string) (AS, error) {
	f := strings.SplitN(txt, "|", 5)
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	n, err := parseASN(f[0])
	if err != nil {
		return AS{}, err
	}
	return AS{
		ASN:         n,
		Country:     field(f, 1),
		Registry:    field(f, 2),
		Allocated:   field(f, 3),
		Description: field(f, 4),
	}, nil
}

// parseASN parses a decimal AS number (without "AS").
func parseASN(s string) (uint32, error) {
	if s == "" {
		return 0, errors.New("no ASN")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("ASN %q is not a number", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("ASN %q is out of range", s)
	}
	return uint32(n), nil
}

// extraFields reports an error when a field after the first n is not empty.
func extraFields(f []string, n int) error {
	for i := n; i < len(f); i++ {
		if f[i] != "" {
			return fmt.Errorf("%d fields, want at most %d", len(f), n)
		}
	}
	return nil
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}
