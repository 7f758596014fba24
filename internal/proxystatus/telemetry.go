package proxystatus

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// listenerDump is the part of a config dump's listeners that the tracing
// and log tables read: each filter's typed config as plain JSON.
type listenerDump struct {
	Configs []struct {
		DynamicListeners []struct {
			Name        string `json:"name"`
			ActiveState struct {
				Listener struct {
					TrafficDirection   string        `json:"trafficDirection"`
					FilterChains       []filterChain `json:"filterChains"`
					DefaultFilterChain *filterChain  `json:"defaultFilterChain"`
				} `json:"listener"`
			} `json:"activeState"`
		} `json:"dynamicListeners"`
	} `json:"configs"`
}

type filterChain struct {
	Name    string `json:"name"`
	Filters []struct {
		Name        string         `json:"name"`
		TypedConfig map[string]any `json:"typedConfig"`
	} `json:"filters"`
}

// writeTelemetry prints, per listener filter chain, the tracer (kind
// "tracing") or the access loggers (kind "log") Envoy was given.
func writeTelemetry(w io.Writer, raw []byte, kind string) error {
	var d listenerDump
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("reading the config dump: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	if kind == "tracing" {
		fmt.Fprintln(tw, "LISTENER\tCHAIN\tDIRECTION\tTRACER\tSAMPLING\tCOLLECTOR")
	} else {
		fmt.Fprintln(tw, "LISTENER\tCHAIN\tDIRECTION\tLOGGER\tTARGET\tFILTER")
	}
	for _, c := range d.Configs {
		for _, l := range c.DynamicListeners {
			chains := l.ActiveState.Listener.FilterChains
			if dc := l.ActiveState.Listener.DefaultFilterChain; dc != nil {
				chains = append([]filterChain{*dc}, chains...)
			}
			for _, fc := range chains {
				for _, f := range fc.Filters {
					row := func(cols ...string) {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Name, orDash(fc.Name), orDash(l.ActiveState.Listener.TrafficDirection), strings.Join(cols, "\t"))
					}
					if kind == "tracing" {
						tracingRow(f.TypedConfig, row)
					} else {
						logRows(f.TypedConfig, row)
					}
				}
			}
		}
	}
	return tw.Flush()
}

func tracingRow(cfg map[string]any, row func(...string)) {
	tr, ok := cfg["tracing"].(map[string]any)
	if !ok {
		return
	}
	provider, _ := tr["provider"].(map[string]any)
	tc, _ := provider["typedConfig"].(map[string]any)
	collector := str(tc, "collectorCluster")
	if collector == "" {
		collector = str(dig(tc, "grpcService", "envoyGrpc"), "clusterName")
	}
	if collector == "" {
		collector = str(dig(tc, "httpService", "httpUri"), "cluster")
	}
	sampling := "100%" // Envoy's default random sampling
	if rs, ok := tr["randomSampling"].(map[string]any); ok {
		sampling = fmt.Sprintf("%v%%", rs["value"])
	}
	name := str(provider, "name")
	if name == "" {
		name = "(propagation only)"
	}
	row(name, sampling, orDash(collector))
}

func logRows(cfg map[string]any, row func(...string)) {
	logs, _ := cfg["accessLog"].([]any)
	for _, l := range logs {
		al, _ := l.(map[string]any)
		tc, _ := al["typedConfig"].(map[string]any)
		target := str(tc, "path")
		if target == "" {
			target = str(dig(tc, "commonConfig", "grpcService", "envoyGrpc"), "clusterName")
		}
		filter := str(dig(al, "filter", "extensionFilter", "typedConfig"), "expression")
		row(str(al, "name"), orDash(target), orDash(filter))
	}
}

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		m = next
	}
	return m
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
