package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// AskImpact posts a change to the console's impact preview at addr.
func AskImpact(addr, token string, change []byte) (Impact, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+ImpactPath, bytes.NewReader(change))
	if err != nil {
		return Impact{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return Impact{}, fmt.Errorf("reaching the control plane's monitoring port at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Impact{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Impact{}, fmt.Errorf("%s: %s: %s", ImpactPath, resp.Status, strings.TrimSpace(string(b)))
	}
	var imp Impact
	return imp, json.Unmarshal(b, &imp)
}

// WriteImpact prints an impact as sailctl x impact shows it: per group of
// proxies, the resources that change and the bytes pushed.
func WriteImpact(w io.Writer, imp Impact) error {
	proxies := 0
	for _, c := range imp.Changes {
		proxies += len(c.Proxies)
	}
	fmt.Fprintf(w, "%d proxies would get new configuration, %d unchanged\n", proxies, imp.Unchanged)
	for _, c := range imp.Changes {
		fmt.Fprintf(w, "\n%s\n", proxyList(c.Proxies))
		tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
		fmt.Fprintln(tw, "  TYPE\tRESOURCE\tCHANGE\tBYTES")
		for _, r := range c.Resources {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\n", r.Type, r.Name, r.Change, r.Bytes)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "  pushed to each: %d bytes as Delta xDS; whole types (state of the world): %s\n", c.Bytes, typeSizes(c.TypeBytes))
	}
	for _, p := range imp.Problems {
		fmt.Fprintf(w, "\nproblem: %s", p)
	}
	for _, u := range imp.Unsupported {
		fmt.Fprintf(w, "\nnot served by sailplane (ignored): %s", u)
	}
	if len(imp.Problems)+len(imp.Unsupported) > 0 {
		fmt.Fprintln(w)
	}
	return nil
}

func proxyList(p []string) string {
	if len(p) > 5 {
		return fmt.Sprintf("%s and %d more", strings.Join(p[:5], ", "), len(p)-5)
	}
	return strings.Join(p, ", ")
}

func typeSizes(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
