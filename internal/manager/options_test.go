package manager

import (
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

func TestNewWebhookServer(t *testing.T) {
	tests := []struct {
		addr     string
		wantHost string
		wantPort int
		wantErr  bool
	}{
		{addr: "", wantPort: -1}, // off: controller-runtime never listens
		{addr: ":15017", wantPort: 15017},
		{addr: "127.0.0.1:9443", wantHost: "127.0.0.1", wantPort: 9443},
		{addr: ":0", wantErr: true}, // controller-runtime would turn 0 into 9443
		{addr: "15017", wantErr: true},
		{addr: ":70000", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			s, err := newWebhookServer(tt.addr, "/certs")
			if tt.wantErr {
				if err == nil {
					t.Fatalf("newWebhookServer(%q) gave no error", tt.addr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o := s.(*webhook.DefaultServer).Options
			if o.Host != tt.wantHost || o.Port != tt.wantPort {
				t.Errorf("host %q port %d, want %q %d", o.Host, o.Port, tt.wantHost, tt.wantPort)
			}
			if tt.wantPort > 0 && o.CertDir != "/certs" {
				t.Errorf("cert dir %q, want /certs", o.CertDir)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	got := Options{}.withDefaults()
	want := Options{
		MonitoringAddress: ":15014",
		TrustDomain:       "cluster.local",
		WorkloadCertTTL:   24 * time.Hour,
		WebhookCertDir:    "/var/run/secrets/sailplane/webhook",
		Namespace:         "sailplane-system",
		LeaderElectionID:  "sailplane-leader.networking.istio.io",
		APIOutageGrace:    10 * time.Second,
		MemoryLimit:       "auto",
	}
	if got != want {
		t.Errorf("withDefaults() = %+v, want %+v (WebhookAddress and both xDS addresses stay empty: off)", got, want)
	}
	if d := DefaultOptions(); d.XDSAddress != ":15010" || d.XDSSecureAddress != ":15012" {
		t.Errorf("DefaultOptions() xDS addresses %q and %q, want :15010 and :15012", d.XDSAddress, d.XDSSecureAddress)
	}
	if DefaultOptions().WebhookAddress != ":15017" {
		t.Errorf("DefaultOptions().WebhookAddress = %q, want :15017", DefaultOptions().WebhookAddress)
	}
}
