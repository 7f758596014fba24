package proxystatus

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// dump is the part of Envoy's ConfigDump JSON that proxy-config tables
// show.
type dump struct {
	Configs []struct {
		Type             string `json:"@type"`
		DynamicListeners []struct {
			Name        string `json:"name"`
			ActiveState struct {
				Listener struct {
					Address struct {
						SocketAddress struct {
							Address   string `json:"address"`
							PortValue int    `json:"portValue"`
						} `json:"socketAddress"`
					} `json:"address"`
				} `json:"listener"`
			} `json:"activeState"`
		} `json:"dynamicListeners"`
		DynamicRouteConfigs []struct {
			RouteConfig struct {
				Name         string `json:"name"`
				VirtualHosts []struct {
					Name    string   `json:"name"`
					Domains []string `json:"domains"`
					Routes  []struct {
						Name string `json:"name"`
					} `json:"routes"`
				} `json:"virtualHosts"`
			} `json:"routeConfig"`
		} `json:"dynamicRouteConfigs"`
		DynamicActiveClusters []struct {
			Cluster struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"cluster"`
		} `json:"dynamicActiveClusters"`
		DynamicEndpointConfigs []struct {
			EndpointConfig struct {
				ClusterName string `json:"clusterName"`
				Endpoints   []struct {
					LbEndpoints []struct {
						Endpoint struct {
							Address struct {
								SocketAddress struct {
									Address   string `json:"address"`
									PortValue int    `json:"portValue"`
								} `json:"socketAddress"`
							} `json:"address"`
						} `json:"endpoint"`
						HealthStatus string `json:"healthStatus"`
					} `json:"lbEndpoints"`
				} `json:"endpoints"`
			} `json:"endpointConfig"`
		} `json:"dynamicEndpointConfigs"`
	} `json:"configs"`
}

// WriteConfig prints one section of a config dump as a table: kind is
// listener, route, cluster or endpoint (plural forms accepted), or tracing
// or log (each listener's tracer or access loggers).
func WriteConfig(w io.Writer, raw []byte, kind string) error {
	if kind == "tracing" || kind == "log" || kind == "logs" {
		return writeTelemetry(w, raw, strings.TrimSuffix(kind, "s"))
	}
	var d dump
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("reading the config dump: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	switch strings.TrimSuffix(kind, "s") {
	case "listener":
		fmt.Fprintln(tw, "NAME\tADDRESS\tPORT")
		for _, c := range d.Configs {
			for _, l := range c.DynamicListeners {
				a := l.ActiveState.Listener.Address.SocketAddress
				fmt.Fprintf(tw, "%s\t%s\t%d\n", l.Name, a.Address, a.PortValue)
			}
		}
	case "route":
		fmt.Fprintln(tw, "NAME\tVIRTUAL HOST\tDOMAINS\tROUTES")
		for _, c := range d.Configs {
			for _, rc := range c.DynamicRouteConfigs {
				for _, vh := range rc.RouteConfig.VirtualHosts {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", rc.RouteConfig.Name, vh.Name, domains(vh.Domains), len(vh.Routes))
				}
			}
		}
	case "cluster":
		fmt.Fprintln(tw, "NAME\tTYPE")
		for _, c := range d.Configs {
			for _, cl := range c.DynamicActiveClusters {
				fmt.Fprintf(tw, "%s\t%s\n", cl.Cluster.Name, cl.Cluster.Type)
			}
		}
	case "endpoint":
		fmt.Fprintln(tw, "ENDPOINT\tSTATUS\tCLUSTER")
		for _, c := range d.Configs {
			for _, e := range c.DynamicEndpointConfigs {
				for _, loc := range e.EndpointConfig.Endpoints {
					for _, lb := range loc.LbEndpoints {
						a := lb.Endpoint.Address.SocketAddress
						fmt.Fprintf(tw, "%s:%d\t%s\t%s\n", a.Address, a.PortValue, lb.HealthStatus, e.EndpointConfig.ClusterName)
					}
				}
			}
		}
	default:
		return fmt.Errorf("unknown config kind %q: want listener, route, cluster, endpoint, tracing or log", kind)
	}
	return tw.Flush()
}

func domains(d []string) string {
	if len(d) > 3 {
		return strings.Join(d[:3], ",") + fmt.Sprintf(" + %d more", len(d)-3)
	}
	return strings.Join(d, ",")
}
