package translate

import (
	"fmt"
	"strings"

	"github.com/sailplane/sailplane/internal/meshconfig"
	"github.com/sailplane/sailplane/internal/xds"
)

// TelemetryReport renders a proxy's effective tracing and access logs,
// side by side, each with the objects that produced it: what
// `sailctl x translate --show telemetry` prints.
func TelemetryReport(r *Result) string {
	t := xds.TelemetryFor(r.Model, r.Proxy)
	var b strings.Builder
	fmt.Fprintf(&b, "proxy %s (%s)\n", r.Proxy.Workload.Ref, r.Proxy.Type)
	writeSide(&b, "client side (outbound listeners, gateway listeners)", t.Client)
	writeSide(&b, "server side (inbound listeners)", t.Server)
	return b.String()
}

func writeSide(b *strings.Builder, title string, s xds.Side) {
	fmt.Fprintf(b, "%s:\n", title)
	if tr := s.Tracing; tr == nil {
		b.WriteString("  tracing: off\n")
	} else {
		fmt.Fprintf(b, "  tracing: %s (%s) sampling %g%%", tr.Provider.GetName(), meshconfig.ProviderKind(tr.Provider), tr.Sampling)
		if tr.DisableSpanReporting {
			b.WriteString(", spans not reported")
		}
		b.WriteString("\n")
		for _, ct := range tr.CustomTags {
			fmt.Fprintf(b, "    tag %s = %s\n", ct.Tag, tagValue(ct))
		}
		fmt.Fprintf(b, "    from: %s\n", tr.Source)
	}
	if len(s.AccessLogs) == 0 {
		b.WriteString("  access logs: off\n")
	}
	for _, al := range s.AccessLogs {
		fmt.Fprintf(b, "  access log %s: %s", al.Name, logTarget(al))
		if al.Filter != "" {
			fmt.Fprintf(b, " when %s", al.Filter)
		}
		fmt.Fprintf(b, "\n    from: %s\n", al.Source)
	}
}

func tagValue(ct xds.CustomTag) string {
	switch {
	case ct.Header != "":
		return fmt.Sprintf("header %s (default %q)", ct.Header, ct.DefaultValue)
	case ct.Environment != "":
		return fmt.Sprintf("environment %s (default %q)", ct.Environment, ct.DefaultValue)
	}
	return fmt.Sprintf("%q", ct.Literal)
}

func logTarget(al xds.AccessLog) string {
	if als := al.Provider.GetEnvoyOtelAls(); als != nil {
		return fmt.Sprintf("OpenTelemetry to %s:%d", als.GetService(), als.GetPort())
	}
	encoding := "text"
	if al.JSON != nil {
		encoding = "JSON"
	}
	return fmt.Sprintf("file %s (%s)", al.Path, encoding)
}
