package iptables

import "fmt"

// Backend is a set of iptables tools. Since iptables 1.8 a host has two
// kernels interfaces (legacy x_tables and nf_tables) with a tool set each;
// rules written with one are invisible to the other's save, so the init
// container must write where the namespace's other rules already are.
type Backend string

// Backends sailplane-init can use.
const (
	// BackendAuto picks at run time (see ChooseBackend).
	BackendAuto Backend = "auto"
	// BackendDefault is the unsuffixed tools (iptables-restore, ...):
	// whatever the image's alternatives point at.
	BackendDefault Backend = "default"
	BackendLegacy  Backend = "legacy"
	BackendNft     Backend = "nft"
)

// ParseBackend validates a --iptables-backend value.
func ParseBackend(s string) (Backend, error) {
	switch b := Backend(s); b {
	case BackendAuto, BackendDefault, BackendLegacy, BackendNft:
		return b, nil
	}
	return "", fmt.Errorf("flag --iptables-backend %q: want auto, default, legacy or nft", s)
}

// Command is the tool for family f and op ("save" or "restore"), e.g.
// ip6tables-nft-restore.
func (b Backend) Command(f Family, op string) string {
	if b == BackendLegacy || b == BackendNft {
		return f.command() + "-" + string(b) + "-" + op
	}
	return f.command() + "-" + op
}

// ChooseBackend decides BackendAuto from how many rules each backend holds
// already (as counted from iptables-legacy-save and iptables-nft-save; a
// missing tool counts 0). The one holding more rules wins, because the
// namespace's other rules live there and both would otherwise be evaluated
// in an order nobody chose. With no rules anywhere, the image's default
// tools decide.
func ChooseBackend(legacyRules, nftRules int) Backend {
	switch {
	case legacyRules > nftRules:
		return BackendLegacy
	case nftRules > legacyRules:
		return BackendNft
	}
	return BackendDefault
}
