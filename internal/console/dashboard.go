package console

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// URL is the console's address with the token in its fragment: a browser
// never sends a fragment to the server, and the page moves it out of the
// address bar into the tab's session storage on load.
func URL(addr, token string) string {
	u := "http://" + addr + PagePath
	if token != "" {
		u += "#token=" + url.QueryEscape(token)
	}
	return u
}

// Check asks the console's API with the token, so a wrong address, port or
// token is reported before a browser shows an empty page.
func Check(addr, token string) error {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+ViewPath, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("reaching the control plane's monitoring port at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s: %s: %s", ViewPath, resp.Status, strings.TrimSpace(string(b)))
	}
	return nil
}
