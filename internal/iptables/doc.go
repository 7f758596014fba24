// Package iptables turns istio-iptables style settings into the packet
// capture rules of a sidecar-injected pod, as iptables-restore input.
//
// Everything here is pure: Options (the flags' text) → Config (validated
// values) → RuleSet (what each table of one address family must contain) →
// restore text. The only side effects live behind the Runner interface used
// by Apply, so the same code prints --dry-run output, feeds golden tests and
// programs a real network namespace.
//
// # Idempotence
//
// The init container can run more than once in the same pod sandbox (a
// kubelet restart, a failed sibling init container), so applying the rules
// twice must leave exactly the rules of one run. iptables-restore cannot
// delete-if-present, and without --noflush it would wipe rules other
// components own. So Apply, per family:
//
//  1. reads the live rules with <backend>-save;
//  2. writes one iptables-restore --noflush transaction in which every
//     ISTIO_* chain is declared (":ISTIO_OUTPUT - [0:0]"). With --noflush a
//     declaration creates a missing chain and empties an existing one, so our
//     own chains always end up holding exactly this run's rules; ISTIO_*
//     chains left by an earlier run with other flags are declared too, which
//     empties them;
//  3. appends a rule to a built-in chain (the PREROUTING and OUTPUT jumps,
//     and the TPROXY mark rules) only when the save output does not already
//     hold that exact line. Rules are written in the canonical form
//     iptables-save prints, which is what makes the text comparison exact.
//
// Each family's restore is one transaction: it applies completely or not at
// all. IPv4 and IPv6 are separate transactions; if IPv6 fails after IPv4
// succeeded the command fails and a rerun converges.
package iptables
