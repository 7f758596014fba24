package route

import (
	"errors"
	"fmt"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/re2size"
)

// checkRegex returns why Envoy would refuse the regex, as a reason for a
// status problem, or "" when it takes it. Envoy compiles every safe_regex
// with RE2 and refuses one that does not parse or whose program is over
// re2.max_program_size.error_level, and with it the whole route
// configuration: so a regex is checked here, where it costs only the
// match, header, origin or rewrite that carries it.
func checkRegex(re string) string {
	err := re2size.Check(re, defaults.EnvoyRegexMaxProgramSize)
	var tooLarge *re2size.TooLargeError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &tooLarge):
		return fmt.Sprintf("regex %s is refused by Envoy: %v", shortQuote(re), err)
	}
	return fmt.Sprintf("invalid regex %q: %v", re, err)
}

// shortQuote quotes a regex for a message, cutting a long one.
func shortQuote(re string) string {
	const max = 64
	if len(re) <= max {
		return fmt.Sprintf("%q", re)
	}
	return fmt.Sprintf("%q... (%d bytes)", re[:max], len(re))
}
