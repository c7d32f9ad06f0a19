package attribution

import (
	"errors"
	"net/netip"
	"testing"
)

func TestPrefixIn(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	for _, cc := range []string{"ID", "SG", "FR", "us"} {
		p, err := db.PrefixIn(cc)
		if err != nil {
			t.Fatalf("PrefixIn(%s): %v", cc, err)
		}
		r := db.Lookup(p.Addr())
		if p.Bits() != 24 || !p.Addr().Is4() || r.Country != normal(cc) || r.RegisteredCountry != normal(cc) || r.ASN == 0 {
			t.Errorf("PrefixIn(%s) = %s: %+v", cc, p, r)
		}
		again, _ := db.PrefixIn(cc)
		if again != p {
			t.Errorf("PrefixIn(%s) not stable: %s then %s", cc, p, again)
		}
	}
	if _, err := db.PrefixIn("ZZ"); !errors.Is(err, ErrNoPrefix) {
		t.Errorf("PrefixIn(ZZ) = %v, want ErrNoPrefix", err)
	}
	_ = netip.Prefix{}
}

func normal(cc string) string {
	if cc == "us" {
		return "US"
	}
	return cc
}
