package model

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
)

// conditionKey matches Istio's AuthorizationPolicy condition keys.
var conditionKey = regexp.MustCompile(`^(request\.headers\[[^\]]+\]|source\.ip|remote\.ip|source\.namespace|source\.principal|` +
	`request\.auth\.principal|request\.auth\.audiences|request\.auth\.presenter|request\.auth\.claims(\[[^\]]+\])+|` +
	`destination\.ip|destination\.port|connection\.sni|experimental\.envoy\.filters\..+)$`)

// ValidConditionKey reports whether key is one of Istio's condition keys.
func ValidConditionKey(key string) bool { return conditionKey.MatchString(key) }

// checkAuthzRules checks every rule as the CRD's validation would and
// returns the broken ones, each reported with its field.
func (m *Model) checkAuthzRules(p *AuthorizationPolicy) map[int]bool {
	broken := map[int]bool{}
	outcome := "the rule is ignored"
	if p.Action == securityv1.AuthzDeny || p.Action == securityv1.AuthzCustom {
		outcome = "the rule denies every request instead"
	}
	for i, r := range p.Rules {
		for _, e := range ruleErrors(r) {
			broken[i] = true
			m.Status.Add(apRef(p.Ref), fmt.Sprintf("rules[%d].%s", i, e.field), "%s; %s", e.reason, outcome)
		}
	}
	return broken
}

type fieldError struct{ field, reason string }

func ruleErrors(r securityv1.AuthorizationRule) []fieldError {
	var errs []fieldError
	for i, f := range r.From {
		field := fmt.Sprintf("from[%d].source", i)
		if f.Source == nil {
			errs = append(errs, fieldError{field, "source must be set"})
			continue
		}
		errs = append(errs, sourceErrors(field, f.Source)...)
	}
	for i, t := range r.To {
		field := fmt.Sprintf("to[%d].operation", i)
		if t.Operation == nil {
			errs = append(errs, fieldError{field, "operation must be set"})
			continue
		}
		errs = append(errs, operationErrors(field, t.Operation)...)
	}
	for i, c := range r.When {
		errs = append(errs, conditionErrors(fmt.Sprintf("when[%d]", i), c)...)
	}
	return errs
}

func sourceErrors(field string, s *securityv1.AuthorizationSource) []fieldError {
	var errs []fieldError
	n := 0
	for name, vs := range map[string][]securityv1.AuthzMatch{
		"principals": s.Principals, "notPrincipals": s.NotPrincipals,
		"requestPrincipals": s.RequestPrincipals, "notRequestPrincipals": s.NotRequestPrincipals,
		"namespaces": s.Namespaces, "notNamespaces": s.NotNamespaces,
	} {
		n += len(vs)
		errs = append(errs, matchErrors(field+"."+name, vs)...)
	}
	for name, vs := range map[string][]securityv1.IPBlock{
		"ipBlocks": s.IPBlocks, "notIpBlocks": s.NotIPBlocks, "remoteIpBlocks": s.RemoteIPBlocks, "notRemoteIpBlocks": s.NotRemoteIPBlocks,
	} {
		n += len(vs)
		for j, v := range vs {
			if !validIPBlock(string(v)) {
				errs = append(errs, fieldError{fmt.Sprintf("%s.%s[%d]", field, name, j), fmt.Sprintf("%q must be an IP address or a CIDR range", v)})
			}
		}
	}
	if n == 0 {
		errs = append(errs, fieldError{field, "source must not be empty"})
	}
	return sortErrors(errs)
}

func operationErrors(field string, o *securityv1.AuthorizationOperation) []fieldError {
	var errs []fieldError
	n := len(o.Ports) + len(o.NotPorts) + len(o.Paths) + len(o.NotPaths)
	for name, vs := range map[string][]securityv1.AuthzMatch{
		"hosts": o.Hosts, "notHosts": o.NotHosts, "methods": o.Methods, "notMethods": o.NotMethods,
	} {
		n += len(vs)
		errs = append(errs, matchErrors(field+"."+name, vs)...)
	}
	for name, vs := range map[string][]securityv1.PortValue{"ports": o.Ports, "notPorts": o.NotPorts} {
		for j, v := range vs {
			if _, ok := PortNumber(string(v)); !ok {
				errs = append(errs, fieldError{fmt.Sprintf("%s.%s[%d]", field, name, j), fmt.Sprintf("port %q must be between 1-65535", v)})
			}
		}
	}
	for name, vs := range map[string][]securityv1.NonEmpty{"paths": o.Paths, "notPaths": o.NotPaths} {
		for j, v := range vs {
			f := fmt.Sprintf("%s.%s[%d]", field, name, j)
			switch {
			case v == "":
				errs = append(errs, fieldError{f, "empty value not allowed"})
			case strings.Contains(string(v), "{"):
				errs = append(errs, fieldError{f, fmt.Sprintf("path template %q is not supported yet", v)})
			}
		}
	}
	if n == 0 {
		errs = append(errs, fieldError{field, "operation must not be empty"})
	}
	return sortErrors(errs)
}

func conditionErrors(field string, c securityv1.AuthorizationCondition) []fieldError {
	if !ValidConditionKey(c.Key) {
		return []fieldError{{field + ".key", fmt.Sprintf("unknown condition key %q", c.Key)}}
	}
	if len(c.Values) == 0 && len(c.NotValues) == 0 {
		return []fieldError{{field, fmt.Sprintf("at least one of values or notValues must be set for key %q", c.Key)}}
	}
	var errs []fieldError
	for name, vs := range map[string][]securityv1.NonEmpty{"values": c.Values, "notValues": c.NotValues} {
		for j, v := range vs {
			f := fmt.Sprintf("%s.%s[%d]", field, name, j)
			switch {
			case v == "":
				errs = append(errs, fieldError{f, "empty value not allowed"})
			case (c.Key == "source.ip" || c.Key == "remote.ip" || c.Key == "destination.ip") && !validIPBlock(string(v)):
				errs = append(errs, fieldError{f, fmt.Sprintf("%q must be an IP address or a CIDR range for %s", v, c.Key)})
			case c.Key == "destination.port":
				if _, ok := PortNumber(string(v)); !ok {
					errs = append(errs, fieldError{f, fmt.Sprintf("port %q must be between 1-65535", v)})
				}
			}
		}
	}
	return sortErrors(errs)
}

// matchErrors checks Istio's string values: not empty, "*" only as a
// prefix, a suffix or the whole value.
func matchErrors(field string, vs []securityv1.AuthzMatch) []fieldError {
	var errs []fieldError
	for j, v := range vs {
		f := fmt.Sprintf("%s[%d]", field, j)
		s := string(v)
		switch {
		case s == "":
			errs = append(errs, fieldError{f, "empty value not allowed"})
		case s != "*" && strings.Contains(strings.TrimSuffix(strings.TrimPrefix(s, "*"), "*"), "*"):
			errs = append(errs, fieldError{f, fmt.Sprintf("%q: '*' is allowed only as a prefix, a suffix or the whole value", s)})
		}
	}
	return errs
}

func sortErrors(errs []fieldError) []fieldError {
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].field < errs[j-1].field; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
	return errs
}

func validIPBlock(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// PortNumber reads a port number written as a string.
func PortNumber(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint32(n), true
}
