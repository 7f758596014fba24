package describe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sailplane/sailplane/internal/model"
)

// Write prints the report as `sailctl x describe pod` shows it.
func (r Report) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	p("Pod: %s.%s\n", r.Pod.Name, r.Pod.Namespace)
	if !r.Sidecar {
		p("  no sidecar: nothing enforces or originates mutual TLS for this pod, so PeerAuthentications do not bind it;\n")
		p("  meshed clients reach it in plaintext (auto mTLS sees no tlsMode: istio on its endpoints), and one whose\n")
		p("  DestinationRule forces ISTIO_MUTUAL fails\n")
	} else {
		p("  sidecar: yes, identity %s\n", r.Identity)
	}
	p("\nInbound (what %s accepts):\n", acceptor(r.Sidecar))
	p("  PORT\tNAMES\tMODE\tLEVEL\tDECIDED BY\n")
	for _, in := range r.Inbound {
		names := strings.Join(in.Names, ",")
		if in.Port == 0 {
			names = "(any other port)"
		} else if names == "" {
			names = "-"
		}
		mode, level, by := string(in.Decision.Mode), in.Decision.Level, policyString(in.Decision)
		if !r.Sidecar {
			mode, level, by = "plaintext", "-", "no sidecar (with one: "+mode+", "+by+")"
		}
		p("  %s\t%s\t%s\t%s\t%s\n", portString(in.Port), names, mode, level, by)
	}
	if len(r.Probes) > 0 {
		p("\nProbes (the kubelet has no mesh certificate):\n")
		p("  CONTAINER\tPROBE\tKUBELET ASKS\tAPPLICATION ASKED\tOK\tWHY\n")
		for _, pr := range r.Probes {
			p("  %s\t%s\t%s\t%s\t%s\t%s\n", pr.Container, pr.Kind, pr.Target, pr.Original, yesNo(pr.Works), pr.Note)
		}
	}
	if r.Sidecar {
		p("\nOutbound clusters (what the proxy originates):\n")
		p("  CLUSTER\tTLS\tWHY\n")
		for _, o := range r.Outbound {
			p("  %s\t%s\t%s\n", o.Cluster, o.TLS, o.Reason)
		}
	}
	if len(r.Problems) > 0 {
		p("\nProblems with PeerAuthentications and DestinationRule tls:\n")
		for _, line := range r.Problems {
			p("  %s\n", line)
		}
	}
	return tw.Flush()
}

func acceptor(sidecar bool) string {
	if sidecar {
		return "the pod's proxy"
	}
	return "the pod"
}

// policyString names the deciding policy and the UNSET ones it was
// inherited through.
func policyString(d model.MTLSDecision) string {
	if d.Policy == nil {
		s := "no PeerAuthentication sets a mode: Istio's default"
		if len(d.Inherited) > 0 {
			s += inherited(d)
		}
		return s
	}
	s := "PeerAuthentication " + d.Policy.String()
	switch d.Level {
	case model.MTLSLevelPort:
		s += " (portLevelMtls)"
	case model.MTLSLevelMesh:
		s += " (root namespace: mesh-wide)"
	}
	return s + inherited(d)
}

func inherited(d model.MTLSDecision) string {
	if len(d.Inherited) == 0 {
		return ""
	}
	var refs []string
	for _, r := range d.Inherited {
		refs = append(refs, r.String())
	}
	return "; inherited through UNSET in " + strings.Join(refs, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}
