package iptables

import (
	"flag"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func configFromArgs(args []string) (Config, error) {
	opts := DefaultOptions()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	opts.Register(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	return opts.Config()
}

// TestBadFlagsAreRejected: each bad value yields an error naming the flag
// and the offending value.
func TestBadFlagsAreRejected(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"-p", "70000"}, []string{"flag -p", `"70000" is not a port`}},
		{[]string{"-z", "0"}, []string{"flag -z", "not a port"}},
		{[]string{"-e", "http"}, []string{"flag -e", "not a port"}},
		{[]string{"--envoy-port", "-1"}, []string{"flag -p", "not a port"}},
		{[]string{"-b", "80,65536"}, []string{"flag -b", `"65536" is not a port`}},
		{[]string{"-b", "80,*"}, []string{"flag -b", "must stand alone"}},
		{[]string{"-d", "15090,abc"}, []string{"flag -d", `"abc"`}},
		{[]string{"-o", "0"}, []string{"flag -o", "not a port"}},
		{[]string{"-q", "99999"}, []string{"flag -q", "not a port"}},
		{[]string{"-i", "10.0.0.0/33"}, []string{"flag -i", "not a CIDR"}},
		{[]string{"-i", "*,10.0.0.0/8"}, []string{"flag -i", "must stand alone"}},
		{[]string{"-x", "10.1.2.3"}, []string{"flag -x", `"10.1.2.3" is not a CIDR`}},
		{[]string{"-x", "*"}, []string{"flag -x", "not a CIDR"}},
		{[]string{"-x", "fd00::/129"}, []string{"flag -x", "not a CIDR"}},
		{[]string{"-m", "redirect"}, []string{"flag -m", "unknown interception mode"}},
		{[]string{"-m", "NAT"}, []string{"flag -m", "REDIRECT or TPROXY"}},
		{[]string{"-u", ""}, []string{"flag -u", "at least one UID"}},
		{[]string{"-u", "istio-proxy"}, []string{"flag -u", "not a numeric"}},
		{[]string{"-g", "1337,-5"}, []string{"flag -g", `"-5"`}},
		{[]string{"-u", "4294967295"}, []string{"flag -u", "not a numeric"}},
		{[]string{"-t", "0"}, []string{"flag -t", "must not be 0"}},
		{[]string{"-t", "1338"}, []string{"flag -t", "reserved"}},
		{[]string{"-r", "254"}, []string{"flag -r", "reserved by the kernel"}},
		{[]string{"-r", "x"}, []string{"flag -r", "not a number"}},
	}
	for _, tc := range cases {
		_, err := configFromArgs(tc.args)
		if err == nil {
			t.Errorf("%q: accepted", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", tc.args, err, w)
			}
		}
	}
}

// TestEveryBadFlagIsReported: a spec with several mistakes is fixed in one
// round because all are named.
func TestEveryBadFlagIsReported(t *testing.T) {
	_, err := configFromArgs([]string{"-p", "0", "-x", "nope", "-m", "X"})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range []string{"flag -p", "flag -x", "flag -m"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

// TestListsAreNormalised: blanks and empty items are tolerated (Istio
// accepts "a, b,"), duplicates dropped in order, CIDRs masked to their
// network as iptables would print them, -g defaults to -u.
func TestListsAreNormalised(t *testing.T) {
	cfg, err := configFromArgs([]string{
		"-d", " 15090, 15021,,15090 ", "-x", "10.1.2.3/8, fd00::1/8", "-u", "1337,1500", "-i", "",
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint16{15090, 15021}; !reflect.DeepEqual(cfg.ExcludeInboundPorts, want) {
		t.Errorf("-d = %v, want %v", cfg.ExcludeInboundPorts, want)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	if !reflect.DeepEqual(cfg.ExcludeCIDRs, want) {
		t.Errorf("-x = %v, want %v", cfg.ExcludeCIDRs, want)
	}
	if want := []uint32{1337, 1500}; !reflect.DeepEqual(cfg.ProxyGIDs, want) {
		t.Errorf("-g defaulted to %v, want the -u list %v", cfg.ProxyGIDs, want)
	}
	if cfg.CaptureAllOutbound || len(cfg.IncludeCIDRs) != 0 {
		t.Errorf("-i '' should capture no outbound range, got all=%v %v", cfg.CaptureAllOutbound, cfg.IncludeCIDRs)
	}
}

// TestDefaultsAreIstioInit: no flags means the default injected pod.
func TestDefaultsAreIstioInit(t *testing.T) {
	bare, err := configFromArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	explicit, err := configFromArgs(istioDefault)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bare, explicit) {
		t.Errorf("defaults %+v differ from istio-init's command %+v", bare, explicit)
	}
}

// TestArgsRoundTrip: the command line Options renders parses back to the
// same configuration (an injector can build istio-init's args with it).
func TestArgsRoundTrip(t *testing.T) {
	opts := DefaultOptions()
	opts.ExcludeOutboundCIDRs = "10.0.0.0/8"
	opts.Mode = "TPROXY"
	opts.IncludeInboundPorts = "9080"
	want, err := opts.Config()
	if err != nil {
		t.Fatal(err)
	}
	got, err := configFromArgs(opts.Args())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip of %q:\n got %+v\nwant %+v", opts.Args(), got, want)
	}
}
