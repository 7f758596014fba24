package manager

import (
	"net/http"

	"github.com/sailplane/sailplane/internal/console"
)

// addConsole puts the console's data among the debug handlers (so it gets
// their authentication) and returns its page, which holds no data and is
// served open: a browser cannot send a bearer token when it loads a page,
// so the page takes the token from its URL fragment and sends it on its
// API calls.
func addConsole(ui *console.Console, debug map[string]http.Handler) http.Handler {
	page, api := ui.Handlers()
	debug[console.APIPath] = api
	return page
}
