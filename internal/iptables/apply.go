package iptables

import (
	"fmt"
	"strings"
)

// Runner runs an external command with stdin and returns its standard
// output; the error must carry the command's standard error. cmd wires it
// to os/exec; tests fake it.
type Runner interface {
	Run(name string, args []string, stdin string) (string, error)
}

// ResolveBackend turns BackendAuto into a concrete backend by probing both
// tool sets with r; other values are returned as they are.
func ResolveBackend(b Backend, r Runner) Backend {
	if b != BackendAuto {
		return b
	}
	count := func(tool string) int {
		out, err := r.Run(tool, nil, "")
		if err != nil {
			return 0 // not installed or unusable: nothing lives there
		}
		return ParseSave(out).RuleCount()
	}
	return ChooseBackend(count(BackendLegacy.Command(IPv4, "save")), count(BackendNft.Command(IPv4, "save")))
}

// Apply programs cfg's rules for each family with backend b (already
// resolved), one restore transaction per family, then runs the family's
// iproute2 steps. It returns the first failure; what earlier families
// applied stays, and a rerun converges.
func Apply(cfg Config, b Backend, families []Family, r Runner) error {
	for _, f := range families {
		if err := applyFamily(cfg, b, f, r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}

func applyFamily(cfg Config, b Backend, f Family, r Runner) error {
	save := b.Command(f, "save")
	live, err := r.Run(save, nil, "")
	if err != nil {
		return fmt.Errorf("reading the live rules with %s: %w", save, err)
	}
	rs := Build(cfg, f)
	restore := b.Command(f, "restore")
	if _, err := r.Run(restore, []string{"--noflush"}, RestoreInput(rs, ParseSave(live))); err != nil {
		return fmt.Errorf("%s --noflush: %w", restore, err)
	}
	for _, s := range rs.Routes {
		if err := runRouteStep(s, r); err != nil {
			return err
		}
	}
	return nil
}

func runRouteStep(s RouteStep, r Runner) error {
	if s.Check != nil {
		out, err := r.Run("ip", s.Check, "")
		if err != nil {
			return fmt.Errorf("ip %s: %w", strings.Join(s.Check, " "), err)
		}
		if s.Present(out) {
			return nil
		}
	}
	if _, err := r.Run("ip", s.Args, ""); err != nil {
		return fmt.Errorf("ip %s: %w", strings.Join(s.Args, " "), err)
	}
	return nil
}
