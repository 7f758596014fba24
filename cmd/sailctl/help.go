package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseFlags parses a subcommand's flags as kubectl and istioctl treat
// them: -h/--help prints the usage (synopsis, then the flags) to stdout
// and the command exits 0; a bad flag prints the error and the usage to
// stderr and the command exits 2. ok is false when the command must stop
// with code.
func parseFlags(fs *flag.FlagSet, synopsis string, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {} // printed below, to the right stream
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		printUsage(fs, synopsis, stdout)
		return 0, false
	default:
		printUsage(fs, synopsis, stderr)
		return 2, false
	}
}

func printUsage(fs *flag.FlagSet, synopsis string, w io.Writer) {
	fs.SetOutput(w)
	fmt.Fprint(w, synopsis)
	fs.PrintDefaults()
}

// usageError reports bad usage: the complaint and the usage on stderr,
// exit 2.
func usageError(fs *flag.FlagSet, synopsis string, stderr io.Writer, complaint string) int {
	fmt.Fprintln(stderr, complaint)
	printUsage(fs, synopsis, stderr)
	return 2
}

// isHelp is what kubectl and istioctl take for a request for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help", "help":
		return true
	}
	return false
}

// wantsHelp reports a -h/--help flag among args (before a "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a != "help" && isHelp(a) {
			return true
		}
	}
	return false
}
