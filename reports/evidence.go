package reports

import (
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hostwatch/hostwatch/probe"
)

// WriteEvidence writes one observation with its raw evidence (the DNS
// replies in wire form, the certificate chains as sent) to DIR/DOMAIN.json,
// so that a published claim can be re-checked later. The file is replaced
// whole: a reader sees the old one or the new one.
func WriteEvidence(dir string, o probe.Observation) error {
	t := NewTarget(o)
	if t.HTTP != nil && o.HTTP != nil {
		for i, h := range o.HTTP.Hops {
			if h.TLS == nil || i >= len(t.HTTP.Hops) || t.HTTP.Hops[i].TLS == nil {
				continue
			}
			for _, der := range h.TLS.Chain {
				t.HTTP.Hops[i].TLS.ChainPEM = append(t.HTTP.Hops[i].TLS.ChainPEM,
					string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	path := filepath.Join(dir, filepath.Base(o.Target.Domain)+".json")
	tmp, err := os.CreateTemp(dir, ".evidence-*")
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := writeDocument(tmp, t); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}
